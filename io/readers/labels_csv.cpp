// Reading a labels CSV (io/readers/labels_csv.h). A hand-written splitter: the
// tables are one line per image with simple fields, and quoting is the only
// CSV rule they need.
#include "io/readers/labels_csv.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/tensor/error.h"
#include "io/readers/row_reader.h"

namespace astrocnn {

namespace {

std::string trimmed(const std::string& s) {
  const size_t first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Whether a field is written as a whole number ("7", "-1", "+3").
bool looks_integer(const std::string& s) {
  size_t digits = s.find_first_not_of("+-");
  if (digits > 1 || digits == s.size()) return false;
  return s.find_first_not_of("0123456789", digits) == std::string::npos;
}

bool parse_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return *end == '\0';
}

struct Row {
  int64_t line;
  std::vector<std::string> fields;
};

// One class id of an integer `class` column, checked: ids number the
// classes 0 .. K-1, so a negative id or one past kMaxClasses is a mistake
// (and would otherwise make a class name for every id below it).
int64_t class_id(const LabelTable& t, const Row& r, const std::string& text) {
  errno = 0;
  const long long id = std::strtoll(text.c_str(), nullptr, 10);
  ASTRO_CHECK(errno != ERANGE && id >= 0 && id < kMaxClasses, "labels CSV '", t.path, "', line ",
              r.line, ": class id ", text, " is outside [0, ", kMaxClasses,
              ") (integer classes are ids 0, 1, ...; write names for other classes)");
  return id;
}

// Classes from the `class` column: integers are ids, anything else names.
void classes_from(LabelTable& t, const std::vector<Row>& rows, size_t column) {
  t.class_labels = true;
  bool all_integers = true;
  for (const Row& r : rows) all_integers = all_integers && looks_integer(r.fields[column]);
  if (all_integers) {
    int64_t largest = 0;
    for (const Row& r : rows) {
      t.class_ids.push_back(class_id(t, r, r.fields[column]));
      largest = std::max(largest, t.class_ids.back());
    }
    for (int64_t k = 0; k <= largest; ++k) t.label_names.push_back(std::to_string(k));
    return;
  }
  for (const Row& r : rows) {
    ASTRO_CHECK(!r.fields[column].empty(), "labels CSV '", t.path, "', line ", r.line,
                ": the class is empty");
    t.label_names.push_back(r.fields[column]);
  }
  std::sort(t.label_names.begin(), t.label_names.end());
  t.label_names.erase(std::unique(t.label_names.begin(), t.label_names.end()), t.label_names.end());
  for (const Row& r : rows)
    t.class_ids.push_back(
        std::lower_bound(t.label_names.begin(), t.label_names.end(), r.fields[column]) -
        t.label_names.begin());
}

// Without a `class` column: numeric targets, every column but the filename.
void targets_from(LabelTable& t, const std::vector<std::string>& header, const std::vector<Row>& rows,
                  size_t file_column) {
  for (size_t c = 0; c < header.size(); ++c)
    if (c != file_column) t.label_names.push_back(header[c]);
  for (const Row& r : rows)
    for (size_t c = 0; c < header.size(); ++c) {
      if (c == file_column) continue;
      double v = 0;
      ASTRO_CHECK(parse_number(r.fields[c], v), "labels CSV '", t.path, "', line ", r.line,
                  ", column ", header[c], ": '", r.fields[c], "' is not a number");
      ASTRO_CHECK(std::isfinite(v), "labels CSV '", t.path, "', line ", r.line, ", column ",
                  header[c], ": a non-finite label (", r.fields[c], ")");
      t.targets.push_back(static_cast<float>(v));
    }
}

}  // namespace

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
        fields.back() += line[++i];
      else if (c == '"')
        quoted = false;
      else
        fields.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  for (std::string& f : fields) f = trimmed(f);
  return fields;
}

LabelTable read_labels_csv(const std::string& path) {
  std::error_code ec;
  ASTRO_CHECK(std::filesystem::is_regular_file(path, ec), "labels CSV '", path, "' ",
              std::filesystem::exists(path, ec) ? "is not a file" : "does not exist");
  std::ifstream in(path);
  ASTRO_CHECK(in.good(), "labels CSV '", path, "' cannot be opened for reading");
  LabelTable t;
  t.path = path;
  std::vector<std::string> header;
  std::vector<Row> rows;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (trimmed(line).empty()) continue;
    std::vector<std::string> fields = split_csv_line(line);
    if (header.empty()) {
      header = fields;
      continue;
    }
    ASTRO_CHECK(fields.size() == header.size(), "labels CSV '", path, "', line ", number, ": ",
                fields.size(), " fields where the header has ", header.size());
    rows.push_back({number, std::move(fields)});
  }
  ASTRO_CHECK(!header.empty(), "labels CSV '", path,
              "' is empty (it needs a header line: filename,...)");
  std::vector<std::string> names(header.size());
  std::transform(header.begin(), header.end(), names.begin(), lower);
  auto column = [&](const char* name) {
    return static_cast<size_t>(std::find(names.begin(), names.end(), name) - names.begin());
  };
  const size_t file_column = column("filename");
  std::string header_text;
  for (const std::string& h : header) header_text += (header_text.empty() ? "" : ",") + h;
  ASTRO_CHECK(file_column < names.size(), "labels CSV '", path,
              "' has no filename column (its header: ", header_text, ")");
  ASTRO_CHECK(!rows.empty(), "labels CSV '", path, "' has a header but no rows");
  ASTRO_CHECK(header.size() > 1, "labels CSV '", path,
              "' has no label column (a class column or numeric target columns)");
  for (const Row& r : rows) {
    ASTRO_CHECK(!r.fields[file_column].empty(), "labels CSV '", path, "', line ", r.line,
                ": the filename is empty");
    t.files.push_back(r.fields[file_column]);
    t.lines.push_back(r.line);
  }

  const size_t class_column = column("class");
  if (class_column < names.size()) {
    classes_from(t, rows, class_column);
    return t;
  }
  targets_from(t, header, rows, file_column);
  return t;
}

}  // namespace astrocnn
