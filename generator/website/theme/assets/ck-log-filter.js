/* The filters of the publication log page (year, category): shown only with JavaScript (a
   static site has no server to filter for a plain form; without JavaScript the archive
   pages by event number and the downloads remain). A choice applies at once; the "Lọc"
   button does the same, for those who look for a button (and checkers that ask one).
   A file, not an inline script: the site's Content-Security-Policy allows no inline script. */
(function () {
  var form = document.querySelector(".ck-filter");
  if (!form) return;
  form.hidden = false;
  var rows = document.querySelectorAll("table.ck-log tbody tr");
  function apply() {
    var year = document.getElementById("ck-year").value;
    var cat = document.getElementById("ck-category").value;
    rows.forEach(function (row) {
      row.hidden = (year && row.dataset.year !== year) || (cat && row.dataset.category !== cat);
    });
  }
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    apply();
  });
})();
