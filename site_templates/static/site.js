// Filtering and search for the documentation site. Runs offline: the search index is a script
// of its own (static/search-index.js), so nothing is fetched.
(function () {
  "use strict";

  function fold(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  }

  var filter = document.getElementById("filter");
  if (filter) {
    var rows = document.querySelectorAll(filter.getAttribute("data-filter-target"));
    var none = document.getElementById("filter-none");
    filter.addEventListener("input", function () {
      var words = fold(filter.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var text = fold(row.textContent);
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      if (none) { none.hidden = shown !== 0; }
    });
  }

  var box = document.getElementById("q");
  if (box && window.COPROD_SEARCH) {
    var results = document.getElementById("search-results");
    var status = document.getElementById("search-status");
    var entries = window.COPROD_SEARCH.map(function (e) {
      return { entry: e, text: fold(e.text) };
    });
    var run = function () {
      var words = fold(box.value).split(/\s+/).filter(Boolean);
      results.textContent = "";
      if (!words.length) { status.textContent = ""; return; }
      var hits = entries.filter(function (e) {
        return words.every(function (w) { return e.text.indexOf(w) !== -1; });
      });
      status.textContent = hits.length + (hits.length === 1 ? " variable found" : " variables found");
      hits.forEach(function (hit) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = hit.entry.url;
        link.textContent = hit.entry.table + "." + hit.entry.name;
        item.appendChild(link);
        item.appendChild(document.createTextNode(" — " + hit.entry.label));
        results.appendChild(item);
      });
    };
    box.addEventListener("input", run);
    var initial = new URLSearchParams(window.location.search).get("q");
    if (initial) { box.value = initial; run(); }
  }
})();
