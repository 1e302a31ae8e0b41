"""The installation as a whole: backup and restore, retention erasure and site abandon.

These operations span every package, so they sit above them all and ask each package to
do its own part (each package erases its own tables through its own service).
"""
