// exporters/qm/ir_mapping.h: the one correspondence between IR enums and .qm enums. The .qm enums are append-only
// and numbered independently of the IR's X-macro lists, so the mapping is by meaning. from_ir.cc defines the
// forward direction; to_ir.cc derives the reverse by enumerating the IR lists, so the two cannot drift apart.
#pragma once

#include "exporters/qm/qm_spec.h"
#include "ir/attributes.h"
#include "ir/dtype.h"
#include "ir/op_types.h"
#include "qcompress/status.h"

namespace qc::qm_mapping {

Expected<qm::DType> ToQmDType(ir::DType dtype);
Expected<qm::OpType> ToQmOpType(ir::OpType op);
Expected<qm::AttrKey> ToQmAttrKey(ir::AttrName name);

}  // namespace qc::qm_mapping
