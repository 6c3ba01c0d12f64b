#include "ir/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace qc {
namespace {

constexpr size_t kBufferBytes = size_t{1} << 20;

std::string ErrnoText(int err) {
  return std::strerror(err);
}

// Directory part of `path` ("." when none) and the file name.
void SplitPath(const std::string& path, std::string* dir, std::string* name) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    *dir = ".";
    *name = path;
  } else {
    *dir = slash == 0 ? "/" : path.substr(0, slash);
    *name = path.substr(slash + 1);
  }
}

}  // namespace

Expected<AtomicFile> AtomicFile::Create(const std::string& path) {
  std::string dir, name;
  SplitPath(path, &dir, &name);
  if (name.empty() || name == "." || name == "..") return InvalidArgument(path + ": not a file path");
  std::string temp = (dir == "/" ? "" : dir) + "/." + name + ".tmp-XXXXXX";
  int fd = ::mkstemp(temp.data());
  if (fd < 0) return IoError(path + ": cannot create a temp file in '" + dir + "': " + ErrnoText(errno));
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return AtomicFile(path, std::move(temp), fd);
}

AtomicFile::AtomicFile(std::string path, std::string temp_path, int fd)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd) {
  buffer_.reserve(kBufferBytes);
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(std::exchange(other.fd_, -1)),
      written_(other.written_),
      buffer_(std::move(other.buffer_)) {}

AtomicFile::~AtomicFile() {
  Abandon();
}

void AtomicFile::Abandon() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  ::unlink(temp_path_.c_str());
}

Status AtomicFile::WriteAll(const void* data, size_t size) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(path_ + ": write to temp file '" + temp_path_ + "' failed after " + std::to_string(written_) +
                     " bytes: " + ErrnoText(errno));
    }
    p += n;
    size -= static_cast<size_t>(n);
    written_ += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status AtomicFile::Flush() {
  if (buffer_.empty()) return Status::Ok();
  Status s = WriteAll(buffer_.data(), buffer_.size());
  buffer_.clear();
  return s;
}

Status AtomicFile::Append(const void* data, size_t size) {
  if (fd_ < 0) return FailedPrecondition(path_ + ": file already committed or abandoned");
  if (size == 0) return Status::Ok();
  if (buffer_.size() + size > kBufferBytes) {
    QC_RETURN_IF_ERROR(Flush());
    if (size >= kBufferBytes) return WriteAll(data, size);
  }
  const uint8_t* p = static_cast<const uint8_t*>(data);
  buffer_.insert(buffer_.end(), p, p + size);
  return Status::Ok();
}

Status AtomicFile::AppendZeros(size_t size) {
  static const uint8_t kZeros[4096] = {};
  while (size > 0) {
    const size_t n = size < sizeof(kZeros) ? size : sizeof(kZeros);
    QC_RETURN_IF_ERROR(Append(kZeros, n));
    size -= n;
  }
  return Status::Ok();
}

Status AtomicFile::WriteAt(uint64_t offset, const void* data, size_t size) {
  if (fd_ < 0) return FailedPrecondition(path_ + ": file already committed or abandoned");
  if (offset > this->size() || size > this->size() - offset) {
    return Internal(path_ + ": WriteAt beyond the bytes written so far");
  }
  QC_RETURN_IF_ERROR(Flush());
  const uint8_t* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd_, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(path_ + ": pwrite to temp file '" + temp_path_ + "' failed: " + ErrnoText(errno));
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status AtomicFile::Commit() {
  if (fd_ < 0) return FailedPrecondition(path_ + ": file already committed or abandoned");
  QC_RETURN_IF_ERROR(Flush());
  if (::fchmod(fd_, 0644) != 0) return IoError(path_ + ": chmod of the temp file failed: " + ErrnoText(errno));
  if (::fsync(fd_) != 0) return IoError(path_ + ": fsync of the temp file failed: " + ErrnoText(errno));
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp_path_.c_str());
    return IoError(path_ + ": closing the temp file failed: " + ErrnoText(err));
  }
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp_path_.c_str());
    return IoError(path_ + ": cannot rename the temp file into place: " + ErrnoText(err));
  }
  std::string dir, name;
  SplitPath(path_, &dir, &name);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return IoError(path_ + ": written, but its directory cannot be opened to fsync: " + ErrnoText(errno));
  const int rc = ::fsync(dir_fd);
  const int err = errno;
  ::close(dir_fd);
  // Some filesystems cannot fsync a directory (EINVAL); the rename itself is still atomic there.
  if (rc != 0 && err != EINVAL)
    return IoError(path_ + ": written, but fsync of its directory failed: " + ErrnoText(err));
  return Status::Ok();
}

}  // namespace qc
