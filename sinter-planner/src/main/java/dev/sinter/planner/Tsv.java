// Reads the planner's tab-separated data files: '#' lines are comments, the first other line is the
// header, every row must have the header's columns (trailing empty cells may be omitted).
package dev.sinter.planner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A parsed TSV file: rows as column → cell maps, each remembering its line. */
record Tsv(String origin, List<String> header, List<Row> rows) {

  /** One data row. */
  record Row(String origin, int line, Map<String, String> cells) {
    /** The cell of a column that must be present and non-empty. */
    String get(String column) {
      String v = cells.get(column);
      if (v == null || v.isBlank()) {
        throw new PlanException(where(), "column \"" + column + "\" is empty");
      }
      return v.strip();
    }

    /** The cell, or "" when empty. */
    String opt(String column) {
      String v = cells.get(column);
      return v == null ? "" : v.strip();
    }

    /** "file:line". */
    String where() {
      return origin + ":" + line;
    }
  }

  /** Reads a class-path resource next to this class. */
  static Tsv resource(String name) {
    return parse(ModelCatalog.resource(name), name);
  }

  /** Reads a file a user named. */
  static Tsv file(Path p, String key) {
    try {
      return parse(Files.readString(p), p.toString());
    } catch (NoSuchFileException e) {
      throw new PlanException(key, "no such file " + p);
    } catch (IOException e) {
      throw new PlanException(key, "cannot read " + p + ": " + e.getMessage());
    }
  }

  static Tsv parse(String text, String origin) {
    List<String> header = null;
    List<Row> rows = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] cells = line.split("\t", -1);
      if (header == null) {
        header = List.of(cells);
        continue;
      }
      if (cells.length > header.size()) {
        throw new PlanException(origin + ":" + (i + 1), "has " + cells.length + " cells but the header has "
            + header.size() + " columns");
      }
      Map<String, String> m = new LinkedHashMap<>();
      for (int c = 0; c < header.size(); c++) {
        m.put(header.get(c), c < cells.length ? cells[c] : "");
      }
      rows.add(new Row(origin, i + 1, m));
    }
    if (header == null) {
      throw new PlanException(origin, "no header line");
    }
    return new Tsv(origin, header, List.copyOf(rows));
  }
}
