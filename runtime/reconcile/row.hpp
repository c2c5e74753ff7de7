// One record of one side, reduced to what a reconciliation compares: its key, whether it is in
// scope, its business time and the values of the plan's fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synchub::reconcile {

enum class Side : uint8_t { Source = 0, Target = 1 };
const char* side_name(Side side);

struct Row {
  Side side = Side::Source;
  std::string key;  // pairs it with its partner (a source key translated by `match`)
  std::string doc;  // the record's own id in its system (its stream key, or file:line)
  bool in_scope = true;
  std::optional<int64_t> time_us;  // business time (UTC microseconds)
  // Per ReconcilePlan::fields: measures as decimal text, others as canonical text (numbers
  // normalized, so 100.10 and 100.1 are one value); nullopt for null or missing.
  std::vector<std::optional<std::string>> values;
  std::string waiting;   // why the record is on its way (`waiting:`); "" when it is not
  std::string unpaired;  // why a source row cannot have a partner (no cross-reference yet)
  std::string error;     // its key was read but not the rest: the pair is reported unreadable
};

// Rows travel through the spill file as bytes: all but the key and the doc, which the spill
// keeps in columns of their own (it sorts by them), so that the rows it sorts are smaller.
std::string encode_row(const Row& row);
// Throws std::runtime_error on bytes that are not a row. The key and the doc are left empty.
Row decode_row(std::string_view bytes);

}  // namespace synchub::reconcile
