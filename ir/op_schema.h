// ir/op_schema.h: per-op input names, attributes (required or defaulted) and the weight input.
//
// Overview
//   ir/op_types.inc gives each op its arity; this adds what the builder and verifier need beyond that: input names
//   for error messages ("input 'table'"), which attributes an op takes, which are required, the defaults the builder
//   fills in for the rest (so a built node always carries every attribute explicitly), and which input (if any) is
//   the weight a WeightQuant annotation applies to.
//
// Usage
//   const qc::ir::OpSchema& schema = qc::ir::GetOpSchema(qc::ir::OpType::kLayerNorm);
//   QC_ASSIGN_OR_RETURN(qc::ir::Attributes attrs, qc::ir::ApplyAttributeDefaults(op, given, owner));
//   QC_RETURN_IF_ERROR(qc::ir::CheckAttributes(op, attrs, owner));
#pragma once

#include <string_view>
#include <vector>

#include "ir/attributes.h"
#include "ir/op_types.h"
#include "qcompress/status.h"

namespace qc::ir {

struct AttrSpec {
  AttrName name;
  bool required;
  AttrValue default_value;  ///< used when !required and the attribute is absent
};

struct OpSchema {
  std::vector<std::string_view> input_names;  ///< max_inputs entries
  std::vector<AttrSpec> attributes;
  int weight_input = -1;  ///< index of the input a WeightQuant annotation applies to; -1 if none
};

/// The schema of `op` (a static table; an empty schema for values outside the enum).
const OpSchema& GetOpSchema(OpType op);

/// "input 1 'table'", for error messages.
std::string InputLabel(OpType op, size_t index);

/// Which attributes CheckAttributes insists on: the required ones (what a builder caller must give) or all of them
/// (the canonical form of a built node, which the verifier checks so later stages never need defaults).
enum class AttributePresence { kRequired, kAll };

/// No attribute the op does not take, every value of the right kind, and the attributes `presence` asks for present.
Status CheckAttributes(OpType op, const Attributes& attributes, std::string_view owner,
                       AttributePresence presence = AttributePresence::kRequired);

/// `attributes` plus the defaults of absent optional attributes; checks the result (all present, kinds right).
Expected<Attributes> ApplyAttributeDefaults(OpType op, Attributes attributes, std::string_view owner);

}  // namespace qc::ir
