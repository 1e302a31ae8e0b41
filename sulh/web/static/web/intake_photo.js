// The photo for the card at intake (web/_intake_photo.html): the file the camera or the
// gallery gives is cut to 4:5 and made a small JPEG here, in the browser, so that the
// desk sends tens of kilobytes, never the camera's megabytes; the server checks it is a
// JPEG within its limit (registry.schemas.PHOTO_MAX_BYTES).
(function () {
  "use strict";
  const input = document.getElementById("photo-input");
  const field = document.getElementById("photo");
  const preview = document.getElementById("photo-preview");
  const clear = document.getElementById("photo-clear");
  const error = document.getElementById("photo-error");
  if (!input || !field) return;
  const WIDTH = 300;
  const HEIGHT = 375;
  const MAX_BASE64 = 60000; // under the server's 64 KiB, with room

  function show(base64) {
    field.value = base64;
    preview.hidden = !base64;
    clear.hidden = !base64;
    if (base64) preview.src = "data:image/jpeg;base64," + base64;
    else preview.removeAttribute("src");
  }

  async function take() {
    const file = input.files && input.files[0];
    error.hidden = true;
    if (!file) return;
    let bitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      input.value = "";
      error.hidden = false;
      return;
    }
    // Cover the 4:5 frame from the middle of the picture.
    const scale = Math.max(WIDTH / bitmap.width, HEIGHT / bitmap.height);
    const w = bitmap.width * scale;
    const h = bitmap.height * scale;
    const canvas = document.createElement("canvas");
    canvas.width = WIDTH;
    canvas.height = HEIGHT;
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, WIDTH, HEIGHT);
    context.drawImage(bitmap, (WIDTH - w) / 2, (HEIGHT - h) / 2, w, h);
    bitmap.close();
    let base64 = "";
    for (const quality of [0.85, 0.7, 0.55, 0.4]) {
      base64 = canvas.toDataURL("image/jpeg", quality).split(",", 2)[1] || "";
      if (base64.length <= MAX_BASE64) break;
    }
    input.value = ""; // the original never leaves the device
    show(base64);
  }

  input.addEventListener("change", take);
  clear.addEventListener("click", function () {
    show("");
    input.focus();
  });
})();
