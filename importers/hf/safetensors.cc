#include "importers/hf/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "importers/hf/json_util.h"

namespace qc::hf {
namespace {

using nlohmann::json;

// A read-only mapping of a whole file, unmapped when the last handle goes away.
class Mapping {
 public:
  Mapping(void* address, size_t size) : address_(address), size_(size) {}
  ~Mapping() {
    if (address_ != nullptr && address_ != MAP_FAILED) munmap(address_, size_);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  const uint8_t* bytes() const { return static_cast<const uint8_t*>(address_); }

 private:
  void* address_;
  size_t size_;
};

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

uint64_t ReadU64LE(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// IEEE narrowing without the undefined behaviour of casting an out-of-range double: overflow gives +-inf.
float DoubleToFloat(double d) {
  if (std::isnan(d)) return std::numeric_limits<float>::quiet_NaN();
  if (d > std::numeric_limits<float>::max()) return std::numeric_limits<float>::infinity();
  if (d < std::numeric_limits<float>::lowest()) return -std::numeric_limits<float>::infinity();
  return static_cast<float>(d);
}

// Parses one tensor entry of the header. `where` is "<path>: tensor '<name>'".
Expected<SafetensorsTensor> ParseEntry(const std::string& name, const json& entry, const std::string& where,
                                       uint64_t region_size) {
  if (!entry.is_object())
    return CorruptData(where + ": header entry is " + JsonTypeName(entry) + ", expected an object");
  SafetensorsTensor tensor;
  tensor.name = name;

  const auto dtype_it = entry.find("dtype");
  if (dtype_it == entry.end()) return CorruptData(where + ": field 'dtype' is missing");
  if (!dtype_it->is_string())
    return CorruptData(where + ": field 'dtype' is " + JsonTypeName(*dtype_it) + ", expected a string");
  Expected<StDType> dtype = ParseStDType(dtype_it->get_ref<const std::string&>());
  if (!dtype.ok()) return dtype.status().WithContext(where);
  tensor.dtype = *dtype;

  const auto shape_it = entry.find("shape");
  if (shape_it == entry.end()) return CorruptData(where + ": field 'shape' is missing");
  if (!shape_it->is_array())
    return CorruptData(where + ": field 'shape' is " + JsonTypeName(*shape_it) + ", expected an array");
  if (shape_it->size() > 64)
    return CorruptData(where + ": field 'shape' has " + std::to_string(shape_it->size()) + " dimensions (limit 64)");
  uint64_t count = 1;
  bool overflow = false;
  bool has_zero = false;
  for (size_t i = 0; i < shape_it->size(); ++i) {
    const std::optional<int64_t> dim = JsonToInt((*shape_it)[i]);
    if (!dim || *dim < 0) {
      return CorruptData(where + ": field 'shape' element " + std::to_string(i) + " is not a non-negative integer");
    }
    tensor.shape.push_back(*dim);
    const auto d = static_cast<uint64_t>(*dim);
    if (d == 0) has_zero = true;
    if (d != 0 && count > std::numeric_limits<uint64_t>::max() / d) overflow = true;
    count *= d;  // may wrap; `overflow` remembers
  }
  if (has_zero) count = 0, overflow = false;  // a zero dimension makes any product empty
  const uint64_t element_size = StDTypeSize(tensor.dtype);
  if (overflow || count > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
      count > std::numeric_limits<uint64_t>::max() / element_size) {
    return CorruptData(where + ": shape " + tensor.TypeString() + " has more bytes than any file can hold");
  }
  tensor.element_count = static_cast<int64_t>(count);

  const auto offsets_it = entry.find("data_offsets");
  if (offsets_it == entry.end()) return CorruptData(where + ": field 'data_offsets' is missing");
  if (!offsets_it->is_array() || offsets_it->size() != 2) {
    return CorruptData(where + ": field 'data_offsets' must be an array of two integers [begin, end]");
  }
  for (int i = 0; i < 2; ++i) {
    const json& v = (*offsets_it)[static_cast<size_t>(i)];
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
      return CorruptData(where + ": field 'data_offsets' element " + std::to_string(i) +
                         " is not a non-negative integer");
    }
    (i == 0 ? tensor.begin : tensor.end) = v.get<uint64_t>();
  }
  if (tensor.begin > tensor.end) {
    return CorruptData(where + ": data_offsets [" + std::to_string(tensor.begin) + ", " + std::to_string(tensor.end) +
                       "] has begin > end");
  }
  if (tensor.end > region_size) {
    return CorruptData(where + ": data_offsets end " + std::to_string(tensor.end) + " is past the " +
                       std::to_string(region_size) + "-byte data region (file truncated?)");
  }
  const uint64_t want = count * element_size;
  if (tensor.end - tensor.begin != want) {
    return CorruptData(where + ": " + tensor.TypeString() + " needs " + std::to_string(want) +
                       " bytes but data_offsets span " + std::to_string(tensor.end - tensor.begin));
  }
  return tensor;
}

}  // namespace

std::string_view StDTypeName(StDType dtype) {
  switch (dtype) {
    case StDType::kF64:
      return "F64";
    case StDType::kF32:
      return "F32";
    case StDType::kF16:
      return "F16";
    case StDType::kBF16:
      return "BF16";
    case StDType::kI64:
      return "I64";
    case StDType::kI32:
      return "I32";
    case StDType::kI16:
      return "I16";
    case StDType::kI8:
      return "I8";
    case StDType::kU8:
      return "U8";
    case StDType::kBool:
      return "BOOL";
  }
  return "invalid";
}

size_t StDTypeSize(StDType dtype) {
  switch (dtype) {
    case StDType::kF64:
    case StDType::kI64:
      return 8;
    case StDType::kF32:
    case StDType::kI32:
      return 4;
    case StDType::kF16:
    case StDType::kBF16:
    case StDType::kI16:
      return 2;
    case StDType::kI8:
    case StDType::kU8:
    case StDType::kBool:
      return 1;
  }
  return 1;
}

Expected<StDType> ParseStDType(std::string_view name) {
  static constexpr StDType kAll[] = {StDType::kF64, StDType::kF32, StDType::kF16, StDType::kBF16, StDType::kI64,
                                     StDType::kI32, StDType::kI16, StDType::kI8,  StDType::kU8,   StDType::kBool};
  for (StDType dtype : kAll) {
    if (StDTypeName(dtype) == name) return dtype;
  }
  return Unsupported("dtype '" + std::string(name) +
                     "' is not supported (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
}

std::string SafetensorsTensor::TypeString() const {
  std::string text(StDTypeName(dtype));
  text += "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

Float32Data Float32Data::View(const float* data, size_t size, std::shared_ptr<const void> owner) {
  Float32Data out;
  out.is_view_ = true;
  out.view_ = data;
  out.size_ = size;
  out.owner_ = std::move(owner);
  return out;
}

Float32Data Float32Data::Owned(std::vector<float> values) {
  Float32Data out;
  out.size_ = values.size();
  out.owned_ = std::move(values);
  return out;
}

std::vector<float> Float32Data::TakeVector() && {
  if (!is_view_) return std::move(owned_);
  return std::vector<float>(view_, view_ + size_);
}

float HalfToFloat(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1Fu;
  uint32_t mantissa = bits & 0x3FFu;
  uint32_t out;
  if (exponent == 0x1F) {
    out = sign | 0x7F800000u | (mantissa << 13);  // inf / NaN (payload kept)
  } else if (exponent != 0) {
    out = sign | ((exponent + 112) << 23) | (mantissa << 13);  // rebias 15 -> 127
  } else if (mantissa == 0) {
    out = sign;  // +-0
  } else {
    // Subnormal half: normalise into a float.
    int e = -1;
    do {
      ++e;
      mantissa <<= 1;
    } while ((mantissa & 0x400u) == 0);
    out = sign | (static_cast<uint32_t>(112 - e) << 23) | ((mantissa & 0x3FFu) << 13);
  }
  float f;
  std::memcpy(&f, &out, sizeof f);
  return f;
}

float BFloat16ToFloat(uint16_t bits) {
  const uint32_t out = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &out, sizeof f);
  return f;
}

Expected<SafetensorsFile> SafetensorsFile::Open(const std::string& path) {
  const int raw_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw_fd < 0) {
    const int err = errno;
    if (err == ENOENT) return NotFound(path + ": no such file");
    return IoError(path + ": cannot open: " + std::strerror(err));
  }
  FileDescriptor fd(raw_fd);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return IoError(path + ": fstat failed: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return IoError(path + ": not a regular file");
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size < 8) {
    return CorruptData(path + ": " + std::to_string(size) +
                       " bytes is too short for a safetensors file (8-byte "
                       "header length missing)");
  }
  if (size > std::numeric_limits<size_t>::max()) return Unsupported(path + ": file too large to map");
  void* address = mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (address == MAP_FAILED) return IoError(path + ": mmap failed: " + std::strerror(errno));
  auto mapping = std::make_shared<Mapping>(address, static_cast<size_t>(size));
  const uint8_t* bytes = mapping->bytes();
  return FromBuffer(bytes, static_cast<size_t>(size), std::move(mapping), path);
}

Expected<SafetensorsFile> SafetensorsFile::FromBuffer(const uint8_t* bytes, size_t size,
                                                      std::shared_ptr<const void> owner, std::string path) {
  if (size < 8) {
    return CorruptData(path + ": " + std::to_string(size) +
                       " bytes is too short for a safetensors file (8-byte header length missing)");
  }
  const uint64_t header_len = ReadU64LE(bytes);
  if (header_len > kMaxHeaderBytes) {
    return CorruptData(path + ": header length " + std::to_string(header_len) + " exceeds the " +
                       std::to_string(kMaxHeaderBytes) + "-byte limit (not a safetensors file?)");
  }
  if (header_len > size - 8) {
    return CorruptData(path + ": header length " + std::to_string(header_len) + " runs past the end of the " +
                       std::to_string(size) + "-byte file (truncated?)");
  }
  if (header_len < 2 || bytes[8] != '{') {
    return CorruptData(path + ": header does not start with '{' (not a safetensors file?)");
  }
  const std::string_view header(reinterpret_cast<const char*>(bytes + 8), static_cast<size_t>(header_len));
  // Entries are at depth 2, shape/offset lists at depth 3; __metadata__ values are strings.
  QC_ASSIGN_OR_RETURN(json doc, ParseJson(header, path + ": header", 3));
  if (!doc.is_object()) return CorruptData(path + ": header is not a JSON object");

  SafetensorsFile file;
  file.path_ = std::move(path);
  file.owner_ = std::move(owner);
  file.region_offset_ = 8 + header_len;
  const uint64_t region_size = size - file.region_offset_;
  const uint8_t* region = bytes + file.region_offset_;

  for (const auto& [name, entry] : doc.items()) {  // nlohmann::json keeps object keys sorted
    if (name == "__metadata__") {
      if (!entry.is_object()) {
        return CorruptData(file.path_ + ": '__metadata__' is " + JsonTypeName(entry) + ", expected an object");
      }
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) {
          return CorruptData(file.path_ + ": '__metadata__' entry '" + key + "' is " + JsonTypeName(value) +
                             ", expected a string");
        }
        file.metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    QC_ASSIGN_OR_RETURN(SafetensorsTensor tensor,
                        ParseEntry(name, entry, file.path_ + ": tensor '" + name + "'", region_size));
    tensor.data = region + tensor.begin;
    file.tensors_.push_back(std::move(tensor));
  }

  // The ranges must tile the byte region: no overlap, no gap, nothing after the last tensor.
  std::vector<const SafetensorsTensor*> by_offset;
  by_offset.reserve(file.tensors_.size());
  for (const SafetensorsTensor& t : file.tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](const SafetensorsTensor* a, const SafetensorsTensor* b) {
    return a->begin != b->begin ? a->begin < b->begin : (a->end != b->end ? a->end < b->end : a->name < b->name);
  });
  uint64_t cursor = 0;
  const SafetensorsTensor* previous = nullptr;
  for (const SafetensorsTensor* t : by_offset) {
    if (t->begin < cursor) {
      return CorruptData(file.path_ + ": tensor '" + t->name + "' bytes [" + std::to_string(t->begin) + ", " +
                         std::to_string(t->end) + ") overlap tensor '" + previous->name + "' [" +
                         std::to_string(previous->begin) + ", " + std::to_string(previous->end) + ")");
    }
    if (t->begin > cursor) {
      return CorruptData(file.path_ + ": bytes [" + std::to_string(cursor) + ", " + std::to_string(t->begin) +
                         ") of the data region before tensor '" + t->name +
                         "' belong to no tensor (the format forbids holes)");
    }
    cursor = t->end;
    previous = t;
  }
  if (cursor != region_size) {
    return CorruptData(file.path_ + ": " + std::to_string(region_size - cursor) +
                       " trailing bytes after the last tensor belong to no tensor (the format forbids them)");
  }
  return file;
}

const SafetensorsTensor* SafetensorsFile::Find(std::string_view name) const {
  const auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                                   [](const SafetensorsTensor& t, std::string_view n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

Expected<const SafetensorsTensor*> SafetensorsFile::Get(std::string_view name) const {
  if (const SafetensorsTensor* t = Find(name)) return t;
  return NotFound(path_ + ": no tensor '" + std::string(name) + "'");
}

Expected<Float32Data> SafetensorsFile::ToFloat32(const SafetensorsTensor& tensor) const {
  const auto count = static_cast<size_t>(tensor.element_count);
  const uint8_t* p = tensor.data;
  switch (tensor.dtype) {
    case StDType::kF32: {
      if (reinterpret_cast<uintptr_t>(p) % alignof(float) == 0) {
        return Float32Data::View(reinterpret_cast<const float*>(p), count, owner_);
      }
      std::vector<float> values(count);
      if (count > 0) std::memcpy(values.data(), p, count * sizeof(float));
      return Float32Data::Owned(std::move(values));
    }
    case StDType::kF16:
    case StDType::kBF16: {
      std::vector<float> values(count);
      for (size_t i = 0; i < count; ++i) {
        const auto bits = static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8));
        values[i] = tensor.dtype == StDType::kF16 ? HalfToFloat(bits) : BFloat16ToFloat(bits);
      }
      return Float32Data::Owned(std::move(values));
    }
    case StDType::kF64: {
      std::vector<float> values(count);
      for (size_t i = 0; i < count; ++i) {
        double d;
        std::memcpy(&d, p + 8 * i, sizeof d);
        values[i] = DoubleToFloat(d);
      }
      return Float32Data::Owned(std::move(values));
    }
    default:
      return Unsupported(path_ + ": tensor '" + tensor.name + "' is " + tensor.TypeString() +
                         ", expected a floating-point tensor (F32, F16, BF16 or F64)");
  }
}

}  // namespace qc::hf
