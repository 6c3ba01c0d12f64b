#include "ir/printer.h"

#include <cstring>

#include "ir/content_hash.h"
#include "ir/text_format.h"

namespace qc::ir {
namespace {

// Lists longer than this print as a count and a hash (a 30,522-entry vocab would swamp a golden file).
constexpr size_t kMaxListedItems = 16;

std::string TypeText(const Value& value) {
  return std::string(DTypeName(value.dtype)) + ToString(value.shape);
}

// Hashes of metadata lists are over a fixed little-endian encoding so they match across platforms.
uint64_t HashU64(uint64_t word, uint64_t hash) {
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(word >> (8 * i));
  return Fnv1a64(bytes, sizeof(bytes), hash);
}

uint64_t HashItems(const std::vector<int64_t>& items) {
  uint64_t hash = kFnv1a64Offset;
  for (int64_t item : items) hash = HashU64(static_cast<uint64_t>(item), hash);
  return hash;
}

uint64_t HashItems(const std::vector<double>& items) {
  uint64_t hash = kFnv1a64Offset;
  for (double item : items) {
    uint64_t bits;
    std::memcpy(&bits, &item, sizeof(bits));
    hash = HashU64(bits, hash);
  }
  return hash;
}

uint64_t HashItems(const std::vector<std::string>& items) {
  uint64_t hash = kFnv1a64Offset;
  for (const std::string& item : items) {
    hash = HashU64(item.size(), hash);  // length prefix: ["ab", "c"] and ["a", "bc"] differ
    hash = Fnv1a64(item.data(), item.size(), hash);
  }
  return hash;
}

std::string ItemText(int64_t item) {
  return std::to_string(item);
}
std::string ItemText(double item) {
  return FormatFloat(item);
}
std::string ItemText(const std::string& item) {
  return QuoteString(item);
}

template <typename T>
std::string ListText(const std::vector<T>& items, const char* noun) {
  if (items.size() > kMaxListedItems) {
    return "<" + std::to_string(items.size()) + " " + noun + ", hash " + HashToHex(HashItems(items)) + ">";
  }
  std::string text = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += ", ";
    text += ItemText(items[i]);
  }
  return text + "]";
}

std::string MetadataText(const MetadataValue& value) {
  switch (value.index()) {
    case 0:
      return std::to_string(std::get<0>(value));
    case 1:
      return FormatFloat(std::get<1>(value));
    case 2:
      return QuoteString(std::get<2>(value));
    case 3:
      return ListText(std::get<3>(value), "ints");
    case 4:
      return ListText(std::get<4>(value), "floats");
    default:
      return ListText(std::get<5>(value), "strings");
  }
}

std::string AttributesText(const Attributes& attributes) {
  std::string text = "{";
  bool first = true;
  for (const auto& [name, value] : attributes) {
    if (!first) text += ", ";
    first = false;
    text += std::string(AttrNameText(name)) + " = " + AttrValueToString(name, value);
  }
  return text + "}";
}

}  // namespace

std::string PrintValueRef(const Graph& graph, ValueId value) {
  if (value == kNoValue) return "_";
  if (!graph.HasValue(value)) return "%" + std::to_string(value) + "(out-of-range)";
  const Value& v = graph.value(value);
  if (v.name.empty()) return "%" + std::to_string(value);
  return (v.constant ? "@" : "%") + FormatName(v.name);
}

std::string PrintNode(const Graph& graph, NodeId id) {
  if (!graph.HasNode(id)) return "# node #" + std::to_string(id) + " is out of range";
  const Node& node = graph.node(id);
  std::string line;
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    if (i > 0) line += ", ";
    const ValueId out = node.outputs[i];
    line += PrintValueRef(graph, out);
    if (graph.HasValue(out)) line += ": " + TypeText(graph.value(out));
  }
  line += " = " + std::string(OpTypeName(node.op)) + "(";
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (i > 0) line += ", ";
    line += PrintValueRef(graph, node.inputs[i]);
  }
  line += ") " + AttributesText(node.attributes);
  if (node.quant) line += " quant{" + ToString(*node.quant) + "}";
  if (!node.name.empty()) line += "  # " + node.name;
  return line;
}

std::string PrintGraph(const Graph& graph) {
  std::string text;
  std::vector<NodeId> order;
  Expected<std::vector<NodeId>> sorted = graph.TopologicalOrder();
  if (sorted.ok()) {
    order = std::move(sorted).value();
  } else {
    text += "# nodes in id order: " + sorted.status().message() + "\n";
    for (NodeId id = 0; id < graph.num_nodes(); ++id) {
      if (graph.IsLive(id)) order.push_back(id);
    }
  }

  text += "graph inputs:";
  for (size_t i = 0; i < graph.inputs().size(); ++i) {
    const ValueId id = graph.inputs()[i];
    text += (i == 0 ? " " : ", ") + PrintValueRef(graph, id);
    if (graph.HasValue(id)) text += ": " + TypeText(graph.value(id));
  }
  text += "\n";

  for (ValueId id = 0; id < graph.num_values(); ++id) {
    const Value& value = graph.value(id);
    if (!value.constant) continue;
    text += "constant " + PrintValueRef(graph, id) + ": " + TypeText(value) + " (hash " +
            HashToHex(value.constant->ContentHash()) + ")\n";
  }

  for (NodeId id : order) text += PrintNode(graph, id) + "\n";

  text += "outputs:";
  for (size_t i = 0; i < graph.outputs().size(); ++i) {
    text += (i == 0 ? " " : ", ") + PrintValueRef(graph, graph.outputs()[i]);
  }
  text += "\n";

  if (!graph.metadata().empty()) {
    text += "metadata:\n";
    for (const auto& [key, value] : graph.metadata())
      text += "  " + FormatName(key) + " = " + MetadataText(value) + "\n";
  }
  return text;
}

}  // namespace qc::ir
