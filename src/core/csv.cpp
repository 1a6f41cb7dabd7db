#include "tyto/core/csv.hpp"

#include "tyto/core/error.hpp"

namespace tyto {

std::string csv_cell(std::string_view text) {
  std::string s(text);
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r')) {
    s.insert(s.begin(), '\'');
  }
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

void append_csv_row(std::string& out, std::span<const std::string> cells) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += csv_cell(cells[i]);
  }
  out += "\r\n";
}

namespace {

Error malformed(std::string reason, std::size_t line) {
  return Error(ErrorCode::kValidationFailed, "malformed CSV", {{"reason", std::move(reason)}, {"line", line}});
}

}  // namespace

std::vector<std::vector<std::string>> parse_csv(std::string_view text, std::size_t max_rows, std::size_t max_cells) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool started = false;  // the cell has content or was quoted: a quote now is data, not an opener
  std::size_t line = 1;
  const auto end_cell = [&] {
    if (row.size() >= max_cells) throw malformed("too_many_cells", line);
    row.push_back(std::move(cell));
    cell.clear();
    started = false;
  };
  const auto end_row = [&] {
    end_cell();
    if (rows.size() >= max_rows) throw malformed("too_many_rows", line);
    rows.push_back(std::move(row));
    row.clear();
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i++];
    if (c == '"' && !started) {
      const std::size_t opened = line;
      for (;;) {
        if (i >= text.size()) throw malformed("unterminated_quote", opened);
        const char q = text[i++];
        if (q == '"') {
          if (i < text.size() && text[i] == '"') {
            cell.push_back('"');
            ++i;
            continue;
          }
          break;
        }
        if (q == '\n') ++line;
        cell.push_back(q);
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\r' && text[i] != '\n') {
        throw malformed("text_after_quote", line);
      }
      started = true;
    } else if (c == ',') {
      end_cell();
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i < text.size() && text[i] == '\n') ++i;
      end_row();
      ++line;
    } else {
      cell.push_back(c);
      started = true;
    }
  }
  if (started || !row.empty()) end_row();
  return rows;
}

}  // namespace tyto
