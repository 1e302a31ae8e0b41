// The receipt's print button (no inline handlers: the site's policy forbids them).
document.querySelectorAll("button.print").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
