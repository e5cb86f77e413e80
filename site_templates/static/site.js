// Filtering and search for the documentation site. Runs offline: the search index and the
// stemmers are scripts of their own (static/search-index.js, static/search-stemmers.js) and the
// engine is MiniSearch (static/vendor/minisearch), so nothing is fetched. Every interface text
// comes from the page (data-* attributes), in the page's language.
(function () {
  "use strict";

  var PUNCTUATION = /[\n\r\s\p{Z}\p{P}\p{S}]+/u;

  function unique(list) {
    return list.filter(function (x, i) { return x && list.indexOf(x) === i; });
  }

  // A word folded two ways, so that either way of writing it without æ, ø and å finds it:
  // æ→ae, ø→oe, å→aa (ä, ö, ü alike), and æ→ae, ø→o, å→a; then without accents.
  function folds(word) {
    var strip = function (s) { return s.normalize("NFKD").replace(/[\u0300-\u036f]/g, ""); };
    var lower = word.toLowerCase();
    return unique([
      strip(lower.replace(/æ/g, "ae").replace(/ø/g, "oe").replace(/å/g, "aa")
        .replace(/ä/g, "ae").replace(/ö/g, "oe").replace(/ü/g, "ue").replace(/ß/g, "ss")),
      strip(lower.replace(/æ/g, "ae").replace(/ø/g, "o").replace(/ß/g, "ss"))
    ]);
  }

  function foldText(text) {
    return folds(text).join(" ");
  }

  // The filter of the variables page: every word of the box, folded, in the row's text (its
  // name and its labels in every language, data-search), folded the same way.
  var filter = document.getElementById("filter");
  if (filter) {
    var rows = document.querySelectorAll(filter.getAttribute("data-filter-target"));
    var none = document.getElementById("filter-none");
    var texts = Array.prototype.map.call(rows, function (row) {
      return foldText(row.getAttribute("data-search") || row.textContent);
    });
    filter.addEventListener("input", function () {
      var words = filter.value.split(PUNCTUATION).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row, i) {
        var match = words.every(function (w) {
          return folds(w).some(function (f) { return texts[i].indexOf(f) !== -1; });
        });
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      if (none) { none.hidden = shown !== 0; }
    });
  }

  var box = document.getElementById("q");
  var results = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!box || !results || !status) { return; }
  var index = window.COPROD_SEARCH;
  if (!index || !window.MiniSearch) {
    status.textContent = status.getAttribute("data-unavailable");
    return;
  }
  var stemmers = window.COPROD_STEMMERS || {};
  var base = results.getAttribute("data-base") || "";
  var pageLang = results.getAttribute("data-lang") || index.languages[0];

  // The terms a word is indexed or searched as: stemmed in a language (or in each, where the
  // language is not known: a name, or the query), then folded.
  function terms(word, lang) {
    var lower = word.toLowerCase();
    var langs = lang ? [lang] : index.languages;
    var out = folds(lower);
    langs.forEach(function (l) {
      var stem = stemmers[l];
      if (stem) { out = out.concat(folds(stem(lower))); }
    });
    return unique(out);
  }

  var fieldNames = Object.keys(index.fields).sort();
  var boost = {};
  fieldNames.forEach(function (f) { boost[f] = index.fields[f].boost; });
  var engine = new window.MiniSearch({
    fields: fieldNames,
    storeFields: ["table", "variable", "url", "fields"],
    tokenize: function (text) { return text.split(PUNCTUATION).filter(Boolean); },
    extractField: function (doc, field) {
      if (!index.fields[field]) { return doc[field]; }  // id, and the fields kept to show
      return (doc.fields[field] || []).join("\n");
    },
    processTerm: function (term, field) {
      return terms(term, field && index.fields[field] ? index.fields[field].lang : null);
    },
    searchOptions: {
      boost: boost,
      combineWith: "OR",
      prefix: function (term) { return term.length >= 3; },
      fuzzy: function (term) { return term.length >= 6 ? 2 : term.length >= 4 ? 1 : 0; },
      processTerm: function (term) { return terms(term, null); }
    }
  });
  engine.addAll(index.documents);

  // A text as nodes, with each word that was matched (any of its terms among the matched
  // ones) in <mark>; text nodes only, so a label can never become markup.
  function marked(text, lang, matched) {
    var fragment = document.createDocumentFragment();
    var parts = text.split(/([\n\r\s\p{Z}\p{P}\p{S}]+)/u);
    parts.forEach(function (part, i) {
      if (!part) { return; }
      var hit = i % 2 === 0 && terms(part, lang).some(function (t) { return matched[t]; });
      if (hit) {
        var mark = document.createElement("mark");
        mark.textContent = part;
        fragment.appendChild(mark);
      } else {
        fragment.appendChild(document.createTextNode(part));
      }
    });
    return fragment;
  }

  function hasMatch(text, lang, matched) {
    return text.split(PUNCTUATION).some(function (w) {
      return w && terms(w, lang).some(function (t) { return matched[t]; });
    });
  }

  function fieldKind(field) { return field.split("_")[0]; }

  function render(hit) {
    var matched = {};
    hit.terms.forEach(function (t) { matched[t] = true; });
    var fields = hit.fields;
    var labelField = fields["label_" + pageLang] ? "label_" + pageLang
      : Object.keys(fields).filter(function (f) { return fieldKind(f) === "label"; })[0];
    var item = document.createElement("li");
    var title = document.createElement("a");
    title.className = "hit-title";
    title.href = base + hit.url;
    if (labelField) {
      var labelLang = index.fields[labelField].lang;
      title.setAttribute("lang", labelLang);
      title.appendChild(marked(fields[labelField][0], labelLang, matched));
    } else {
      title.textContent = hit.variable;
    }
    item.appendChild(title);
    var code = document.createElement("code");
    code.className = "hit-name";
    code.appendChild(marked(hit.table + "." + hit.variable, null, matched));
    item.appendChild(code);
    // Where else the words were found: the other fields with a marked word, best kinds first.
    var snippets = document.createElement("ul");
    snippets.className = "hit-snippets";
    var order = ["label", "question", "category"];
    var shown = 0;
    Object.keys(fields).filter(function (f) { return f !== labelField && f !== "name"; })
      .sort(function (a, b) {
        return order.indexOf(fieldKind(a)) - order.indexOf(fieldKind(b)) || (a < b ? -1 : 1);
      })
      .forEach(function (f) {
        var lang = index.fields[f].lang;
        fields[f].forEach(function (text) {
          if (shown >= 3 || !hasMatch(text, lang, matched)) { return; }
          var line = document.createElement("li");
          var label = document.createElement("span");
          label.className = "hit-field";
          var language = results.getAttribute("data-language-" + lang.toLowerCase()) || lang;
          label.textContent = results.getAttribute("data-field-" + fieldKind(f)) + " (" +
            language + "): ";
          line.appendChild(label);
          var span = document.createElement("span");
          span.setAttribute("lang", lang);
          span.appendChild(marked(text, lang, matched));
          line.appendChild(span);
          snippets.appendChild(line);
          shown += 1;
        });
      });
    if (shown) { item.appendChild(snippets); }
    return item;
  }

  function run() {
    results.textContent = "";
    var query = box.value.trim();
    if (!query) { status.textContent = ""; return; }
    var hits = engine.search(query);
    if (!hits.length) {
      status.textContent = status.getAttribute("data-none");
      return;
    }
    status.textContent = hits.length === 1 ? status.getAttribute("data-found-one")
      : status.getAttribute("data-found-many").replace("{n}", String(hits.length));
    hits.slice(0, 50).forEach(function (hit) { results.appendChild(render(hit)); });
  }

  var timer = null;
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 80);
  });
  box.form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) { box.value = initial; run(); }
})();
