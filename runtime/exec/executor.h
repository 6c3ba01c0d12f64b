// exec/executor.h: runs a Plan on host tensors.
//
// An Executor belongs to one Session: it keeps the buffers of intermediate values between runs (so steady-state
// inference allocates little) and frees each intermediate after its last reader. Constants are read in place from
// the mapping. Run-time shape checks name the op and the operand that does not fit. With a thread pool (the
// Session's), the heavy ops are split across its threads as exec/parallel_ops.h describes: the outputs are
// bit-identical for every thread count.
//
//   exec::Executor executor(plan, pool);   // pool may be null: everything on the calling thread
//   std::vector<exec::RtTensor> outputs;
//   QC_RETURN_IF_ERROR(executor.Run(std::move(inputs), &outputs));   // inputs in graph-input order
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/large_blocks.h"
#include "core/thread_pool.h"
#include "exec/op_profile.h"
#include "exec/plan.h"
#include "exec/quantized_ops.h"
#include "qcompress/status.h"

namespace qc::exec {

/// The activation allocator: value-initialisation (vector::resize) leaves trivial elements uninitialised (every op
/// writes all of its output, so zero-filling each fresh buffer first would only cost a pass over memory), and blocks
/// of kLargeBlockBytes or more come from core/large_blocks.h, recycled by size instead of fragmenting the heap.
template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() = default;
  template <typename U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
  T* allocate(size_t n) {
    if (n * sizeof(T) >= kLargeBlockBytes) return static_cast<T*>(AllocateLargeBlock(n * sizeof(T)));
    return std::allocator<T>::allocate(n);
  }
  void deallocate(T* p, size_t n) noexcept {
    if (n * sizeof(T) >= kLargeBlockBytes) {
      FreeLargeBlock(p, n * sizeof(T));
    } else {
      std::allocator<T>::deallocate(p, n);
    }
  }
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

/// An op's float output: written in full by the op, never read before.
using FloatBuffer = std::vector<float, DefaultInitAllocator<float>>;

/// A value during execution: owned elements, or borrowed ones (constants in the mapping, caller-owned inputs).
struct RtTensor {
  ValueType type = ValueType::kF32;
  std::vector<int64_t> dims;
  FloatBuffer f;                ///< owned float elements (uninitialised until the op writes them)
  std::vector<int64_t> i;       ///< owned integer elements (int32 inputs are widened)
  const float* ext_f = nullptr;    ///< borrowed float elements
  const int64_t* ext_i = nullptr;  ///< borrowed integer elements

  const float* fdata() const { return ext_f != nullptr ? ext_f : f.data(); }
  const int64_t* idata() const { return ext_i != nullptr ? ext_i : i.data(); }
  int64_t count() const;
  bool is_float() const { return type == ValueType::kF32; }
};

class Executor {
 public:
  /// `pool` (may be null) must outlive the executor.
  explicit Executor(const Plan& plan, ThreadPool* pool = nullptr) : plan_(plan), pool_(pool) {
    quant_scratch_.pool = pool;
  }

  /// `inputs` in the order of plan.inputs; `outputs` receives plan.outputs in order (owned copies).
  Status Run(std::vector<RtTensor> inputs, std::vector<RtTensor>* outputs);

 private:
  Status RunOp(const PlannedOp& op);
  /// Whether op `i` is an Add of two equal-shaped float tensors whose result the next op (a LayerNorm over its last
  /// axis) reads: the pair then runs as one ParallelAddLayerNorm.
  bool AddFeedsLayerNorm(uint32_t i) const;
  const RtTensor& In(const PlannedOp& op, size_t k) const;
  bool Has(const PlannedOp& op, size_t k) const { return k < op.inputs.size() && op.inputs[k] >= 0; }

  const Plan& plan_;
  ThreadPool* pool_;
  /// Set while an Add fused into the following LayerNorm is pending: its operands and output.
  struct PendingAdd {
    const float* a = nullptr;
    const float* b = nullptr;
    float* sum = nullptr;
    int32_t value = -1;
  } pending_add_;
  bool defer_add_ = false;
  std::vector<RtTensor> values_;
  QuantScratch quant_scratch_;  ///< int8 activations etc. of the quantized ops, reused across runs
  uint64_t run_number_ = 0;     ///< counts Run calls: names this run's values in quant_scratch_
  OpProfile profile_;           ///< QC_PROFILE: time per op type
};

}  // namespace qc::exec
