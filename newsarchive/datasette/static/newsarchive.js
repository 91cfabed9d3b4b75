// newsarchive's Datasette plugin: text inputs the templates do not mark (query parameters,
// the SQL editor, filters added by Datasette's own scripts) take their direction from
// what is typed, so Persian is typed right to left and Latin left to right.
document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll('input[type="text"], input[type="search"], textarea')) {
    if (!input.hasAttribute("dir")) input.setAttribute("dir", "auto");
  }
  // An article image that cannot load (an offline archive) leaves its link, not a broken icon.
  for (const image of document.querySelectorAll(".na-image img")) {
    image.addEventListener("error", () => { image.hidden = true; });
    if (image.complete && image.naturalWidth === 0) image.hidden = true;
  }
});
