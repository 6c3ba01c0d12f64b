#include "core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <limits>
#include <utility>

namespace qc {
namespace {

std::string ErrnoText(int err) {
  return std::strerror(err);
}

}  // namespace

Expected<MappedFile> MappedFile::Open(const std::string& path) {
  int fd = -1;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return NotFound(path + ": no such file");
    return IoError(path + ": cannot open for reading: " + ErrnoText(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return IoError(path + ": cannot stat: " + ErrnoText(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgument(path + ": not a regular file");
  }
  if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > std::numeric_limits<size_t>::max()) {
    ::close(fd);
    return OutOfRange(path + ": file size " + std::to_string(st.st_size) + " does not fit in memory");
  }
  MappedFile file;
  file.path_ = path;
  const size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return file;
  }
  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);  // the mapping keeps its own reference to the file
  if (addr == MAP_FAILED)
    return IoError(path + ": mmap of " + std::to_string(size) + " bytes failed: " + ErrnoText(err));
  file.data_ = static_cast<const uint8_t*>(addr);
  file.size_ = size;
  return file;
}

Expected<MappedFile> MappedFile::CopyOf(const void* data, size_t size, std::string name) {
  MappedFile file;
  file.path_ = std::move(name);
  if (size == 0) return file;
  if (data == nullptr) return InvalidArgument(file.path_ + ": null data with size " + std::to_string(size));
  void* addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (addr == MAP_FAILED) {
    return IoError(file.path_ + ": anonymous mmap of " + std::to_string(size) + " bytes failed: " + ErrnoText(errno));
  }
  std::memcpy(addr, data, size);
  if (::mprotect(addr, size, PROT_READ) != 0) {
    const int err = errno;
    ::munmap(addr, size);
    return IoError(file.path_ + ": mprotect failed: " + ErrnoText(err));
  }
  file.data_ = static_cast<const uint8_t*>(addr);
  file.size_ = size;
  return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)), path_(std::move(other.path_)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    Reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    path_ = std::move(other.path_);
  }
  return *this;
}

MappedFile::~MappedFile() {
  Reset();
}

void MappedFile::Reset() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

bool MappedFile::Contains(const void* p) const {
  if (data_ == nullptr) return false;
  const std::less_equal<const void*> le;
  const std::less<const void*> lt;
  return le(data_, p) && lt(p, data_ + size_);
}

}  // namespace qc
