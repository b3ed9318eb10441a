// sohoa clerk app: the little script the pages use (no framework, nothing from a CDN).
// A click on a page image zooms it in or out.
document.addEventListener("click", (event) => {
  const image = event.target.closest("img.zoomable");
  if (image) image.classList.toggle("zoomed");
});
