// Truncation, template and padding (see post_process.h).
#include "tokenizer/post_process.h"

#include <algorithm>
#include <string>
#include <utility>

namespace qc::tokenizer_internal {
namespace {

void Shrink(std::vector<Piece>& pieces, std::size_t keep, Side side) {
  if (pieces.size() <= keep) return;
  if (side == Side::kRight) {
    pieces.resize(keep);
  } else {
    pieces.erase(pieces.begin(), pieces.end() - static_cast<std::ptrdiff_t>(keep));
  }
}

void AppendToken(Encoding& e, std::int32_t id, std::int32_t type_id, std::int32_t special, std::int8_t sequence,
                 TokenOffset offset) {
  e.ids.push_back(id);
  e.token_type_ids.push_back(type_id);
  e.attention_mask.push_back(1);
  e.special_tokens_mask.push_back(special);
  e.sequence_ids.push_back(sequence);
  e.offsets.push_back(offset);
}

}  // namespace

Status Truncate(std::vector<Piece>& first, std::vector<Piece>* second, std::size_t max_length,
                TruncationStrategy strategy, Side side) {
  if (max_length == 0) {  // HF empties both sequences whatever the strategy
    first.clear();
    if (second != nullptr) second->clear();
    return Status::Ok();
  }
  const std::size_t total = first.size() + (second != nullptr ? second->size() : 0);
  if (total <= max_length) return Status::Ok();
  const std::size_t to_remove = total - max_length;
  if (strategy == TruncationStrategy::kLongestFirst) {
    if (second == nullptr) {
      Shrink(first, max_length, side);
      return Status::Ok();
    }
    // tokenizers/src/utils/truncation.rs, verbatim in logic: with n1 <= n2, keep n1 if n2 can take the whole cut,
    // otherwise split max_length evenly, the extra token going to the longer sequence.
    std::size_t n1 = first.size();
    std::size_t n2 = second->size();
    const bool swap = n1 > n2;
    if (swap) std::swap(n1, n2);
    n2 = n1 > max_length ? n1 : std::max(n1, max_length - n1);
    if (n1 + n2 > max_length) {
      n1 = max_length / 2;
      n2 = n1 + max_length % 2;
    }
    if (swap) std::swap(n1, n2);
    Shrink(first, n1, side);
    Shrink(*second, n2, side);
    return Status::Ok();
  }
  std::vector<Piece>* target = &first;
  if (strategy == TruncationStrategy::kOnlySecond) {
    if (second == nullptr) {
      return InvalidArgument("truncation only_second: the input has no second sequence but needs " +
                             std::to_string(to_remove) + " token(s) removed");
    }
    target = second;
  }
  if (target->size() <= to_remove) {
    return InvalidArgument(
        std::string("truncation ") + (strategy == TruncationStrategy::kOnlyFirst ? "only_first" : "only_second") +
        ": the sequence to truncate has " + std::to_string(target->size()) + " token(s), too short to remove the " +
        std::to_string(to_remove) + " needed to respect max_length");
  }
  Shrink(*target, target->size() - to_remove, side);
  return Status::Ok();
}

Encoding Assemble(const std::vector<Piece>& first, const std::vector<Piece>* second, bool add_special_tokens,
                  std::int32_t cls_id, std::int32_t sep_id) {
  Encoding e;
  const std::size_t n = first.size() + (second ? second->size() : 0) + (add_special_tokens ? 3 : 0);
  e.ids.reserve(n);
  e.token_type_ids.reserve(n);
  e.attention_mask.reserve(n);
  e.special_tokens_mask.reserve(n);
  e.sequence_ids.reserve(n);
  e.offsets.reserve(n);
  if (add_special_tokens) AppendToken(e, cls_id, 0, 1, -1, {});
  for (const Piece& p : first) AppendToken(e, p.id, 0, 0, 0, {p.begin, p.end});
  if (add_special_tokens) AppendToken(e, sep_id, 0, 1, -1, {});
  if (second != nullptr) {
    for (const Piece& p : *second) AppendToken(e, p.id, 1, 0, 1, {p.begin, p.end});
    if (add_special_tokens) AppendToken(e, sep_id, 1, 1, -1, {});
  }
  return e;
}

void Pad(Encoding& e, std::size_t target, std::int32_t pad_id, std::int32_t pad_type_id, Side side) {
  if (e.size() >= target) return;
  const std::size_t n = target - e.size();
  auto fill = [&](auto& v, auto value) {
    if (side == Side::kRight) {
      v.insert(v.end(), n, value);
    } else {
      v.insert(v.begin(), n, value);
    }
  };
  fill(e.ids, pad_id);
  fill(e.token_type_ids, pad_type_id);
  fill(e.attention_mask, std::int32_t{0});
  fill(e.special_tokens_mask, std::int32_t{1});
  fill(e.sequence_ids, std::int8_t{-1});
  fill(e.offsets, TokenOffset{});
}

std::size_t RoundUpToMultiple(std::size_t length, std::size_t multiple) {
  if (multiple == 0 || length % multiple == 0) return length;
  return length + multiple - length % multiple;
}

}  // namespace qc::tokenizer_internal
