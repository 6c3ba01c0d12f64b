/* qcompress/export.h: QC_API marks the functions and classes the runtime library exports.
 *
 * Overview
 *   The shared library (libqcompress.so) is compiled with -fvisibility=hidden and linked with a version script
 *   (runtime/api/c_api.map), so only what is marked QC_API and listed there is visible to applications: the C API
 *   (qc_*) and the C++ API classes of qcompress/runtime.h. Everything else (kernels, the .qm reader, the tokenizer
 *   internals) stays private and may change in any release. In the static library QC_API has no effect.
 *
 * Usage
 *   QC_API qc_status qc_model_load(const char* path, const qc_model_options* options, qc_model** model);
 *   class QC_API Session { ... };
 *
 * Valid C89 and C++; GCC and Clang only (other compilers get an empty QC_API).
 */
#ifndef QCOMPRESS_EXPORT_H_
#define QCOMPRESS_EXPORT_H_

#if defined(__GNUC__) || defined(__clang__)
#define QC_API __attribute__((visibility("default")))
#else
#define QC_API
#endif

#endif /* QCOMPRESS_EXPORT_H_ */
