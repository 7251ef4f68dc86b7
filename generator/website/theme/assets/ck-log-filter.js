/* The filters of the publication log page (year, category): shown only with JavaScript.
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
})();
