// exporters/qm/qm_writer.h: the deterministic, atomic .qm writer.
//
// Overview
//   WriteQmFile(spec, path):
//     1. validates the spec (ValidateQmSpec: indices in range, names unique, dtype x shape == byte size, graph in
//        topological order, metadata keys and standard key types, limits of format/qm_layout.h);
//     2. lays out the blob (each constant at a multiple of 64 bytes, 4096 for constants >= 64 KiB, in value order,
//        zero padding) and hashes every constant and the blob (XXH3-64);
//     3. builds the FlatBuffer graph section with a fixed field order and no timestamps;
//     4. writes preamble + graph + padding + blob to a temp file in the target's directory, fsyncs it, renames it
//        over `path` and fsyncs the directory.
//   The same spec always gives the same bytes. On any failure the temp file is removed and `path` is untouched;
//   a spec that fails validation never creates a file at all. Constants are streamed from the caller's memory.
//
// Usage
//   qc::qm::QmModelSpec spec = ...;                       // exporters/qm/qm_spec.h
//   if (qc::Status s = qc::qm::WriteQmFile(spec, "out/bert.qm"); !s.ok()) { std::cerr << s.ToString(); }
#pragma once

#include <string>

#include "exporters/qm/qm_spec.h"
#include "qcompress/status.h"

namespace qc::qm {

/// kInvalidArgument naming the value, op, key or field at fault when the spec cannot be written as a valid file.
Status ValidateQmSpec(const QmModelSpec& spec);

/// Validates, then writes `path` atomically (see the overview). kIoError messages name the path and the OS reason.
Status WriteQmFile(const QmModelSpec& spec, const std::string& path);

}  // namespace qc::qm
