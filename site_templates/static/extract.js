// The extract page: some variables of a table, for some countries and waves, as CSV with the
// codebook of those variables, made in the browser from the site's own downloads (the table's
// Parquet file and codebook.json). Nothing is sent anywhere and nothing is fetched from outside
// the site: the Parquet reader (hyparquet) and its zstd decoder (fzstd) are vendored in
// static/vendor/, with their licences.
//
// It makes what `coprod extract VARIABLES --country C --wave W --format csv` makes (src/coprod/
// extract.py and export.py), byte for byte: the same columns in the same order, codes or English
// labels, numbers as polars writes them, cells that a spreadsheet would run as a formula
// neutralized with a leading apostrophe, and the same codebook. tests/test_browser.py holds the
// two to that.
(function () {
  "use strict";

  var form = document.getElementById("extract-form");
  if (!form) { return; }
  var status = document.getElementById("extract-status");
  var list = document.getElementById("extract-files");
  var script = document.currentScript;
  var vendor = function (path) { return new URL("vendor/" + path, script.src).href; };
  var made = [];  // object URLs of the files made last, released when new ones are made

  if (window.location.protocol === "file:") {
    // Browsers refuse to let a page opened from the file system read other files; say how to
    // serve the site instead of failing on the first fetch.
    document.getElementById("extract-offline").hidden = false;
    form.hidden = true;
    return;
  }

  var FORMULA_START = /^[=+\-@\t\r]/;
  var NEEDS_QUOTES = /[",\n\r]/;

  function say(text) { status.textContent = text; }
  // An interface text in the page's language: the template puts each in a data-say-* attribute
  // of the form (from the gettext catalogs); {name} is replaced by values[name].
  function said(key, values) {
    var template = form.getAttribute("data-say-" + key) || key;
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }
  var language = document.documentElement.lang || "en";

  function chosenTable() {
    var checked = form.querySelector("input[name=table]:checked");
    return checked ? checked.value : null;
  }

  function panel(table) {
    return form.querySelector(".extract-table[data-table=\"" + table + "\"]");
  }

  function values(box, name) {
    return Array.prototype.map.call(box.querySelectorAll("input[name=" + name + "]:checked"),
                                    function (input) { return input.value; });
  }

  function showTable() {
    var table = chosenTable();
    form.querySelectorAll(".extract-table").forEach(function (box) {
      box.hidden = box.getAttribute("data-table") !== table;
    });
  }

  form.querySelectorAll("input[name=table]").forEach(function (input) {
    input.addEventListener("change", showTable);
  });
  form.querySelectorAll("button[data-check]").forEach(function (button) {
    button.addEventListener("click", function () {
      var box = button.closest(".extract-table");
      var on = button.getAttribute("data-value") === "true";
      box.querySelectorAll("input[name=" + button.getAttribute("data-check") + "]")
        .forEach(function (input) { input.checked = on; });
    });
  });
  showTable();

  // --- what the CLI's extract.py does --------------------------------------------------------

  function text(labels) {  // Labels.get(): English, else the first language that has one
    if (labels.en) { return labels.en; }
    for (var key in labels) { if (labels[key]) { return labels[key]; } }
    return "";
  }

  function codebookOf(doc, table, variables, columns, sources, rows) {
    var spec = doc.tables[table];
    var kept = {};
    sources.forEach(function (sid) { kept[sid] = true; });
    var entries = {};
    variables.forEach(function (name) {
      var entry = {};
      var original = spec.variables[name];
      Object.keys(original).forEach(function (key) {
        var value = original[key];
        if (key === "frequencies" || key === "lineage" || key === "availability") {
          var only = {};
          Object.keys(value).forEach(function (sid) { if (kept[sid]) { only[sid] = value[sid]; } });
          value = only;
        } else if (key === "comparability") {
          value = value.filter(function (note) {
            return (note.sources || []).some(function (sid) { return kept[sid]; });
          });
        }
        entry[key] = value;
      });
      entries[name] = entry;
    });
    var chosenSources = {};
    sources.forEach(function (sid) { chosenSources[sid] = doc.sources[sid]; });
    return {
      package: doc.package,
      version: doc.version,
      synthetic_notice: doc.synthetic_notice === undefined ? null : doc.synthetic_notice,
      extract: { table: table, columns: columns, sources: sources, rows: rows },
      missing: doc.missing,
      sources: chosenSources,
      tables: (function () {
        var out = {};
        out[table] = { title: spec.title, description: spec.description,
                       universe: spec.universe, rows: rows, variables: entries };
        return out;
      })()
    };
  }

  function formatFloat(x) {  // as polars writes a float to CSV
    if (Number.isNaN(x)) { return "NaN"; }
    if (!Number.isFinite(x)) { return x > 0 ? "inf" : "-inf"; }
    if (x === 0) { return Object.is(x, -0) ? "-0.0" : "0.0"; }
    var size = Math.abs(x);
    if (size < 1e-5 || size >= 1e16) { return x.toExponential(); }
    var shown = String(x);
    return shown.indexOf(".") === -1 ? shown + ".0" : shown;
  }

  function quoted(cell) {
    if (cell === "") { return "\"\""; }
    return NEEDS_QUOTES.test(cell) ? "\"" + cell.replace(/"/g, "\"\"") + "\"" : cell;
  }

  function textCell(value) {
    var cell = String(value);
    return quoted(FORMULA_START.test(cell) ? "'" + cell : cell);
  }

  // How each column's values become cells: categories as codes or labels, numbers as polars
  // writes them, text neutralized and quoted where needed.
  function cellMakers(doc, table, columns, physical, labelled) {
    var spec = doc.tables[table];
    var missingCode = {};
    var missingLabel = {};
    doc.missing.forEach(function (m) { missingCode[m.value] = m.code; missingLabel[m.value] = text(m.label); });
    return columns.map(function (column) {
      var variable = spec.variables[column];
      var reasonOf = column.slice(-8) === "_missing" ? spec.variables[column.slice(0, -8)] : null;
      var codes = null;
      var labels = null;
      if (variable && variable.type === "categorical") {
        codes = Object.assign({}, missingCode);
        labels = Object.assign({}, missingLabel);
        variable.categories.forEach(function (c) { codes[c.value] = c.code; labels[c.value] = text(c.label); });
      } else if (!variable && reasonOf) {
        codes = missingCode;
        labels = missingLabel;
      }
      if (codes) {
        return function (value) {
          if (value === null || value === undefined) { return ""; }
          if (labelled) { return labels[value] === undefined ? "" : textCell(labels[value]); }
          return codes[value] === undefined ? "" : String(codes[value]);
        };
      }
      var type = physical[column];
      if (type === "DOUBLE" || type === "FLOAT") {
        return function (value) { return value === null || value === undefined ? "" : formatFloat(Number(value)); };
      }
      if (type === "INT32" || type === "INT64" || type === "BOOLEAN") {
        return function (value) { return value === null || value === undefined ? "" : String(value); };
      }
      return function (value) { return value === null || value === undefined ? "" : textCell(value); };
    });
  }

  function csvOf(rows, columns, makers) {
    var lines = [columns.map(quoted).join(",")];
    rows.forEach(function (row) {
      lines.push(columns.map(function (column, i) { return makers[i](row[column]); }).join(","));
    });
    return lines.join("\n") + "\n";
  }

  // --- reading the site's downloads ------------------------------------------------------------

  function fetched(url, how) {
    return fetch(url).then(function (response) {
      if (!response.ok) { throw new Error("could not read " + url + " (HTTP " + response.status + ")"); }
      return response[how]();
    });
  }

  // A size as coprod.site.render._human_size writes it on the Downloads page: 812 bytes, 4.2 KB,
  // 312 KB, 1.0 MB (a KB is 1,024 bytes; one decimal below 10, never four digits).
  function humanSize(bytes) {
    if (bytes < 1000) { return bytes === 1 ? "1 byte" : bytes + " bytes"; }
    var units = ["KB", "MB", "GB"];
    var value = bytes;
    for (var i = 0; i < units.length; i++) {
      value /= 1024;
      var shown = value < 9.95 ? value.toFixed(1) : value.toFixed(0);
      if (Number(shown) < 1000 || i === units.length - 1) { return shown + " " + units[i]; }
    }
  }

  function offer(name, content, type, what) {
    var blob = new Blob([content], { type: type });
    var url = URL.createObjectURL(blob);
    made.push(url);
    var item = document.createElement("li");
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.textContent = "Download " + name;
    item.appendChild(link);
    item.appendChild(document.createTextNode(" — " + what + ", " + humanSize(blob.size)));
    list.appendChild(item);
  }

  function countryName(box, code) {
    var label = box.querySelector("label[for=\"country-" + box.getAttribute("data-table") + "-" + code + "\"]");
    return label ? label.textContent : code;
  }

  function make(event) {
    event.preventDefault();
    var table = chosenTable();
    var box = panel(table);
    var variables = values(box, "variable");
    var countries = values(box, "country");
    var waves = values(box, "wave").map(Number);
    made.forEach(function (url) { URL.revokeObjectURL(url); });
    made = [];
    list.textContent = "";
    if (!variables.length) { say(said("no-variable")); return; }
    if (!countries.length) { say(said("no-country")); return; }
    if (!waves.length) { say(said("no-wave")); return; }
    var labelled = form.querySelector("input[name=cells]:checked").value === "labels";
    var downloads = new URL(form.getAttribute("data-downloads"), document.baseURI);
    var identifying = box.getAttribute("data-identifying").split(" ");
    say(said("reading", { file: table + ".parquet" }));
    Promise.all([
      import(vendor("hyparquet/index.js")),
      import(vendor("fzstd/index.js")),
      fetched(new URL("codebook.json", downloads).href, "json"),
      fetched(new URL(table + ".parquet", downloads).href, "arrayBuffer")
    ]).then(function (loaded) {
      var hyparquet = loaded[0];
      var fzstd = loaded[1];
      var doc = loaded[2];
      var file = loaded[3];
      var spec = doc.tables[table];
      var sources = Object.keys(doc.sources).sort().filter(function (sid) {
        var s = doc.sources[sid];
        return s.table === table && countries.indexOf(s.country) !== -1 && waves.indexOf(s.wave) !== -1;
      });
      if (!sources.length) {
        var has = Object.keys(doc.sources).sort().filter(function (sid) { return doc.sources[sid].table === table; })
          .map(function (sid) { return countryName(box, doc.sources[sid].country) + " " + doc.sources[sid].wave; });
        say(said("no-rows", { table: table, has: has.join(", ") }));
        return null;
      }
      var chosen = {};
      identifying.concat(variables).forEach(function (name) { chosen[name] = true; });
      var ordered = Object.keys(spec.variables).filter(function (name) { return chosen[name]; });
      var wanted = {};
      ordered.forEach(function (name) { wanted[name] = true; wanted[name + "_missing"] = true; });
      var metadata = hyparquet.parquetMetadata(file);
      var physical = {};
      var names = [];
      hyparquet.parquetSchema(metadata).children.forEach(function (child) {
        names.push(child.element.name);
        physical[child.element.name] = child.element.type;
      });
      var columns = names.filter(function (name) { return wanted[name]; });
      return hyparquet.parquetReadObjects({
        file: file, metadata: metadata, columns: columns,
        // what hyparquet-compressors gives hyparquet for zstd: fzstd's decoder
        compressors: { ZSTD: function (input, length) { return fzstd.decompress(input, new Uint8Array(length)); } }
      }).then(function (all) {
        var keep = {};
        sources.forEach(function (sid) { keep[sid] = true; });
        var rows = all.filter(function (row) { return keep[row.source]; });
        var csv = csvOf(rows, columns, cellMakers(doc, table, columns, physical, labelled));
        var codebook = codebookOf(doc, table, ordered, columns, sources, rows.length);
        var stem = table + "-extract";
        offer(stem + ".csv", csv, "text/csv", said("csv", {
          rows: rows.length.toLocaleString(language), columns: columns.length,
          cells: said(labelled ? "labels" : "codes") }));
        offer(stem + ".codebook.json", JSON.stringify(codebook, null, 2) + "\n", "application/json",
              said("codebook"));
        say(said("ready", { rows: rows.length.toLocaleString(language), table: table,
                            sources: sources.join(", ") }));
        return null;
      });
    }).catch(function (error) {
      say(said("failed", { error: error.message }));
    });
  }

  form.addEventListener("submit", make);
})();
