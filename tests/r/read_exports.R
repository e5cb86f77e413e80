# Read the site's SPSS (.sav) or Stata (.dta) downloads with haven, as a researcher would, and
# write what R found to CSV files for tests/test_r.py to compare with the Parquet tables.
#
# Usage: Rscript read_exports.R sav|dta OUTDIR FILE...
#
# For each FILE (e.g. institutions.sav) it writes, in OUTDIR:
#   <table>.<format>.values.csv          every cell as read with the defaults (read_sav's
#                                        user-missing values become NA; read_dta's extended
#                                        missing values .a-.e are tagged NA)
#   <table>.<format>.user_na.values.csv  (.sav only) every cell read with user_na = TRUE
#   <table>.<format>.meta.csv            per column: class, type, variable label, display
#                                        format, value labels, declared missing values
#   <table>.<format>.checks.csv          per labelled column: as_factor levels, the run lengths
#                                        of sort(as_factor(x)), and mean(x == 1, na.rm = TRUE)
# A cell is "NA", "NA(<tag>)" for a tagged NA, "s:<text>" for text, else the number ("%.17g").
# Every CSV field is quoted; files are UTF-8 whatever the locale.
# Exit status 3: haven is not installed.

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 3 || !(args[[1]] %in% c("sav", "dta"))) {
  stop("usage: Rscript read_exports.R sav|dta OUTDIR FILE...")
}
if (!requireNamespace("haven", quietly = TRUE)) {
  message("the R package haven is not installed (Debian: apt-get install r-cran-haven)")
  quit(status = 3)
}
format <- args[[1]]
outdir <- args[[2]]
files <- args[-(1:2)]

cells <- function(x) {
  if (is.character(x)) {
    return(ifelse(is.na(x), "NA", paste0("s:", x)))
  }
  v <- as.double(unclass(x))
  out <- sprintf("%.17g", v)
  missing <- is.na(v)
  tags <- haven::na_tag(v)
  out[missing] <- ifelse(is.na(tags[missing]), "NA", paste0("NA(", tags[missing], ")"))
  out
}

quoted <- function(x) paste0("\"", gsub("\"", "\"\"", enc2utf8(as.character(x)), fixed = TRUE), "\"")

write_rows <- function(path, header, columns) {
  # columns: a list of equally long character vectors
  body <- do.call(paste, c(lapply(columns, quoted), sep = ","))
  text <- paste(c(paste(quoted(header), collapse = ","), body), collapse = "\n")
  con <- file(path, "wb")
  on.exit(close(con))
  writeBin(charToRaw(enc2utf8(paste0(text, "\n"))), con)
}

write_values <- function(frame, path) {
  write_rows(path, names(frame), lapply(frame, cells))
}

meta_rows <- function(frame) {
  rows <- list()
  add <- function(column, key, name, value) {
    rows[[length(rows) + 1]] <<- c(column, key, name, value)
  }
  for (column in names(frame)) {
    x <- frame[[column]]
    add(column, "class", "", class(x)[[1]])
    add(column, "type", "", typeof(x))
    label <- attr(x, "label", exact = TRUE)
    if (!is.null(label)) add(column, "label", "", label)
    for (key in c("format.spss", "format.stata")) {
      value <- attr(x, key, exact = TRUE)
      if (!is.null(value)) add(column, "format", "", value)
    }
    labels <- attr(x, "labels", exact = TRUE)
    if (!is.null(labels)) {
      codes <- cells(labels)
      for (i in seq_along(labels)) add(column, "labels", codes[[i]], names(labels)[[i]])
    }
    na_range <- attr(x, "na_range", exact = TRUE)
    if (!is.null(na_range)) add(column, "na_range", "", paste(cells(na_range), collapse = " "))
    na_values <- attr(x, "na_values", exact = TRUE)
    if (!is.null(na_values)) add(column, "na_values", "", paste(cells(na_values), collapse = " "))
  }
  rows
}

check_rows <- function(frame) {
  rows <- list()
  add <- function(column, key, name, value) {
    rows[[length(rows) + 1]] <<- c(column, key, name, value)
  }
  for (column in names(frame)) {
    x <- frame[[column]]
    if (!haven::is.labelled(x)) next
    f <- haven::as_factor(x)  # the defaults, as the downloads page shows
    for (level in levels(f)) add(column, "level", "", level)
    sorted <- sort(f, na.last = TRUE)
    runs <- rle(ifelse(is.na(sorted), "NA", paste0("s:", sorted)))
    for (i in seq_along(runs$values)) add(column, "sorted", runs$values[[i]], runs$lengths[[i]])
    add(column, "mean_eq_1", "", sprintf("%.17g", mean(x == 1, na.rm = TRUE)))
    add(column, "n_na", "", sum(is.na(x)))
  }
  rows
}

write_long <- function(rows, path) {
  columns <- if (length(rows)) lapply(1:4, function(i) vapply(rows, `[[`, "", i)) else
    rep(list(character()), 4)
  write_rows(path, c("column", "key", "name", "value"), columns)
}

for (file in files) {
  table <- sub("\\.(sav|dta)$", "", basename(file))
  prefix <- file.path(outdir, paste0(table, ".", format))
  if (format == "sav") {
    frame <- haven::read_sav(file)
    kept <- haven::read_sav(file, user_na = TRUE)
    write_values(kept, paste0(prefix, ".user_na.values.csv"))
    meta <- meta_rows(kept)  # labels, na_range: as SPSS declares them
    for (column in names(frame)) {
      meta[[length(meta) + 1]] <- c(column, "default_class", "", class(frame[[column]])[[1]])
    }
  } else {
    frame <- haven::read_dta(file)
    meta <- meta_rows(frame)
  }
  write_values(frame, paste0(prefix, ".values.csv"))
  write_long(meta, paste0(prefix, ".meta.csv"))
  write_long(check_rows(frame), paste0(prefix, ".checks.csv"))
}
