#include "importers/onnx/external_data.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace qc::onnx_import {

// One read-only mapping of a whole external data file; unmapped when the last Tensor viewing it goes away.
struct ExternalDataResolver::Mapping {
  const uint8_t* data = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (data != nullptr) munmap(const_cast<uint8_t*>(data), size);
  }
};

namespace {

std::string ErrnoText() {
  return std::strerror(errno);
}

Expected<uint64_t> ParseByteCount(const std::string& text, const std::string& key, const std::string& what) {
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgument(what + ": external_data '" + key + "' = '" + text + "' is not a non-negative integer");
  }
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE) return InvalidArgument(what + ": external_data '" + key + "' = '" + text + "' overflows");
  return static_cast<uint64_t>(v);
}

Expected<std::string> RealPath(const std::string& path, const std::string& what) {
  char buffer[PATH_MAX];
  if (realpath(path.c_str(), buffer) == nullptr) {
    if (errno == ENOENT) return NotFound(what + ": external data file '" + path + "' does not exist");
    return IoError(what + ": cannot resolve '" + path + "': " + ErrnoText());
  }
  return std::string(buffer);
}

}  // namespace

Status CheckExternalLocation(const std::string& location) {
  if (location.empty()) return InvalidArgument("external_data 'location' is empty");
  if (location.find('\0') != std::string::npos) return InvalidArgument("external_data 'location' contains a NUL byte");
  if (location.find('\\') != std::string::npos) {
    return InvalidArgument("external_data 'location' '" + location +
                           "' contains a backslash (only relative POSIX paths "
                           "inside the model's directory are accepted)");
  }
  if (location[0] == '/' || (location.size() >= 2 && location[1] == ':')) {
    return InvalidArgument("external_data 'location' '" + location +
                           "' is absolute; it must be relative to the model's directory");
  }
  size_t begin = 0;
  while (begin <= location.size()) {
    size_t end = location.find('/', begin);
    if (end == std::string::npos) end = location.size();
    if (location.compare(begin, end - begin, "..") == 0 && end - begin == 2) {
      return InvalidArgument("external_data 'location' '" + location +
                             "' has a '..' component; it must stay inside the model's directory");
    }
    begin = end + 1;
  }
  return Status::Ok();
}

ExternalDataResolver::ExternalDataResolver(std::string base_dir) : base_dir_(std::move(base_dir)) {
  if (base_dir_.empty()) base_dir_ = ".";
}

Expected<std::shared_ptr<ExternalDataResolver::Mapping>> ExternalDataResolver::Open(const std::string& location,
                                                                                    const std::string& what) {
  auto cached = files_.find(location);
  if (cached != files_.end()) return cached->second;

  QC_ASSIGN_OR_RETURN(std::string base, RealPath(base_dir_, what));
  const std::string path = base_dir_ + "/" + location;
  QC_ASSIGN_OR_RETURN(std::string resolved, RealPath(path, what));
  if (resolved.compare(0, base.size(), base) != 0 || resolved.size() <= base.size() ||
      (base != "/" && resolved[base.size()] != '/')) {
    return InvalidArgument(what + ": external data '" + location + "' resolves to '" + resolved +
                           "', outside the model's directory '" + base + "' (symlink escape)");
  }
  const int fd = ::open(resolved.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(what + ": cannot open external data '" + resolved + "': " + ErrnoText());
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const std::string reason = ErrnoText();
    ::close(fd);
    return IoError(what + ": cannot stat external data '" + resolved + "': " + reason);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgument(what + ": external data '" + resolved + "' is not a regular file");
  }
  auto mapping = std::make_shared<Mapping>();
  mapping->size = static_cast<size_t>(st.st_size);
  if (mapping->size > 0) {
    void* addr = mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      const std::string reason = ErrnoText();
      ::close(fd);
      return IoError(what + ": cannot mmap external data '" + resolved + "': " + reason);
    }
    mapping->data = static_cast<const uint8_t*>(addr);
  }
  ::close(fd);  // the mapping stays valid after close
  files_[location] = mapping;
  return mapping;
}

Expected<ExternalBytes> ExternalDataResolver::Resolve(const onnx::TensorProto& tensor, uint64_t expected_bytes,
                                                      const std::string& what) {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  bool has_location = false;
  for (const auto& entry : tensor.external_data()) {
    if (entry.key() == "location") {
      location = entry.value();
      has_location = true;
    } else if (entry.key() == "offset") {
      QC_ASSIGN_OR_RETURN(offset, ParseByteCount(entry.value(), "offset", what));
    } else if (entry.key() == "length") {
      QC_ASSIGN_OR_RETURN(length, ParseByteCount(entry.value(), "length", what));
    }
  }
  if (!has_location) return InvalidArgument(what + ": data_location is EXTERNAL but external_data has no 'location'");
  Status location_ok = CheckExternalLocation(location);
  if (!location_ok.ok()) return location_ok.WithContext(what);
  if (length && *length != expected_bytes) {
    return CorruptData(what + ": external_data 'length' = " + std::to_string(*length) +
                       " but the tensor's shape needs " + std::to_string(expected_bytes) + " bytes");
  }
  QC_ASSIGN_OR_RETURN(std::shared_ptr<Mapping> file, Open(location, what));
  // Overflow-safe: compare against what is left after the offset instead of computing offset + length.
  if (offset > file->size || expected_bytes > file->size - offset) {
    return CorruptData(what + ": external data range [offset " + std::to_string(offset) + ", length " +
                       std::to_string(expected_bytes) + "] lies outside '" + location + "' (" +
                       std::to_string(file->size) + " bytes)");
  }
  ExternalBytes bytes;
  bytes.data = file->data == nullptr ? nullptr : file->data + offset;
  bytes.size = static_cast<size_t>(expected_bytes);
  bytes.owner = file;
  static const uint8_t kEmpty = 0;
  if (bytes.data == nullptr) bytes.data = &kEmpty;  // a zero-element tensor in an empty file
  return bytes;
}

}  // namespace qc::onnx_import
