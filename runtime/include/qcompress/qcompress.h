/* qcompress/qcompress.h: the C API of the qcompress runtime (C99 and C++).
 *
 * Overview
 *   A qc_model is a verified, memory-mapped .qm file plus its execution plan; it is immutable, so any number of
 *   threads may use one model at once. A qc_session runs one inference at a time on a model: create one session per
 *   thread, all sharing the model. A run returns a qc_result that owns the outputs (tensors, and, where the model
 *   allows, predicted labels with names and pooled embeddings); it is immutable and may be read from any thread.
 *
 *   Ownership is explicit: every *_create / *_load / *_run hands the caller an object that it releases with the
 *   matching *_destroy (NULL is accepted and ignored). Sessions and results keep their model alive, so the three may
 *   be destroyed in any order. Strings and arrays returned by accessors belong to the object they came from and
 *   stay valid until it is destroyed.
 *
 *   Every fallible call returns a qc_status (QC_OK = 0). On failure qc_last_error() gives a message naming the file,
 *   input, tensor or field at fault; it is per thread, set by every call that returns a qc_status, and valid until
 *   the next such call on the same thread. No C++ exception ever leaves this API.
 *
 *   Versions: QC_VERSION_* describe the runtime release, QC_ABI_VERSION the binary interface of this header (it is
 *   the library's SONAME number, libqcompress.so.<QC_ABI_VERSION>). QC_CHECK_ABI() asks the loaded library whether
 *   it implements the interface the application was compiled against.
 *
 * Usage (the API in five lines of C; on failure every out-handle is NULL and destroying NULL is a no-op)
 *   qc_model* m; qc_session* s = NULL; qc_result* r = NULL; const char *text = "a gripping film", *label;
 *   if (QC_CHECK_ABI() || qc_model_load("bert.qm", NULL, &m)) { fprintf(stderr, "%s\n", qc_last_error()); return 1; }
 *   if (qc_session_create(m, NULL, &s) || qc_session_run_text(s, &text, 1, &r)) puts(qc_last_error());
 *   else if (qc_result_label(r, 0, NULL, &label, NULL) == QC_OK) puts(label);
 *   qc_result_destroy(r); qc_session_destroy(s); qc_model_destroy(m);
 *
 * Inputs
 *   text:    qc_session_run_text / qc_session_run_text_pairs tokenize with the tokenizer embedded in the .qm
 *            (tokenizer.* metadata) and fill input_ids / attention_mask / token_type_ids; a batch is padded to its
 *            longest text (or qc_session_options.pad_to_length) and truncated to max_length.
 *   ids:     qc_session_run_ids takes token ids [batch, length] (row-major) and an optional attention mask.
 *   images:  qc_session_run_images takes raw pixels as float NCHW (e.g. 0..255); the runtime applies the model's
 *            image.rescale_factor, image.mean and image.std. Height and width must equal image.size: resize first.
 *   any:     qc_session_run takes named tensors exactly as the graph declares them.
 * Outputs
 *   tensors:    qc_result_output_* (name, type, shape, data) in graph order.
 *   labels:     qc_result_label / qc_result_probabilities: argmax and softmax of the logits (the output named
 *               "logits", else the first float [batch, classes] output with as many classes as model.labels names),
 *               with the class names from model.labels ("" when the model has none).
 *   embeddings: qc_result_embedding: the first float [batch, sequence, hidden] output mean-pooled over the
 *               attention mask, else the first float [batch, hidden] output that is not the logits.
 */
#ifndef QCOMPRESS_QCOMPRESS_H_
#define QCOMPRESS_QCOMPRESS_H_

#include <stddef.h>
#include <stdint.h>

#include "qcompress/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------------------------------------------ */

/* One to one with qc::StatusCode (qcompress/status.h); values are stable. */
typedef enum qc_status {
  QC_OK = 0,
  QC_INVALID_ARGUMENT = 1,     /* malformed argument: NULL handle, wrong input shape, bad option */
  QC_NOT_FOUND = 2,            /* a named file, input, output or metadata key does not exist */
  QC_IO_ERROR = 3,             /* the operating system refused a read or mmap */
  QC_CORRUPT_DATA = 4,         /* the .qm is malformed: bad magic, checksum mismatch, out-of-range offset */
  QC_UNSUPPORTED = 5,          /* well-formed input this runtime cannot handle */
  QC_VERSION_TOO_NEW = 6,      /* the .qm needs a newer runtime */
  QC_OUT_OF_RANGE = 7,         /* an index or size exceeds a limit (e.g. a token id beyond the vocabulary) */
  QC_FAILED_PRECONDITION = 8,  /* the call needs something the model lacks (e.g. text without a tokenizer) */
  QC_CANCELLED = 9,            /* the operation was interrupted */
  QC_INTERNAL = 10             /* a bug in qcompress (including an exception caught at the API boundary) */
} qc_status;

/* Stable lower-case name of a status, e.g. "corrupt_data"; "unknown" for other values. */
QC_API const char* qc_status_name(int status);
/* The message of the last failed call on this thread ("" after a successful one). Never NULL. */
QC_API const char* qc_last_error(void);

/* ---- versions ---------------------------------------------------------------------------------------------- */

#define QC_VERSION_MAJOR 0
#define QC_VERSION_MINOR 4
#define QC_VERSION_PATCH 0
#define QC_VERSION_STRING "0.4.0"
/* Bumped on any incompatible change of this header's types or functions (or of the exported C++ API). */
#define QC_ABI_VERSION 1

/* The runtime release of the loaded library, e.g. "0.4.0". */
QC_API const char* qc_version(void);
/* QC_ABI_VERSION of the loaded library. */
QC_API uint32_t qc_abi_version(void);
/* QC_OK when the loaded library implements ABI `abi_version`, else QC_FAILED_PRECONDITION naming both versions. */
QC_API qc_status qc_check_abi(uint32_t abi_version);
#define QC_CHECK_ABI() qc_check_abi(QC_ABI_VERSION)

/* ---- models ------------------------------------------------------------------------------------------------ */

typedef struct qc_model qc_model;
typedef struct qc_session qc_session;
typedef struct qc_result qc_result;

/* Options structs start with their own size so later versions can append fields; initialize with the _INIT macro. */
typedef struct qc_model_options {
  uint32_t struct_size;
  int verify_tensor_checksums; /* 1 (default): check every constant's checksum, besides the whole file's */
} qc_model_options;
#define QC_MODEL_OPTIONS_INIT {sizeof(qc_model_options), 1}

/* Loads and verifies a .qm file (options may be NULL). On failure *model is NULL. */
QC_API qc_status qc_model_load(const char* path, const qc_model_options* options, qc_model** model);
/* Loads a .qm held in memory; the bytes are copied, so `data` may be freed on return. `name` (may be NULL) is used
 * in error messages in place of a path. */
QC_API qc_status qc_model_load_from_memory(const void* data, size_t size, const char* name,
                                           const qc_model_options* options, qc_model** model);
/* Releases the caller's reference; sessions and results created from the model keep it alive. */
QC_API void qc_model_destroy(qc_model* model);

/* Graph inputs and outputs in declaration order; names are NULL for an index out of range. */
QC_API size_t qc_model_input_count(const qc_model* model);
QC_API const char* qc_model_input_name(const qc_model* model, size_t index);
QC_API size_t qc_model_output_count(const qc_model* model);
QC_API const char* qc_model_output_name(const qc_model* model, size_t index);
/* 1 when the model embeds a tokenizer (it then takes raw text), else 0. */
QC_API int qc_model_has_tokenizer(const qc_model* model);
/* Class names (model.labels) by class index; 0 / NULL when the model has none or index is out of range. */
QC_API size_t qc_model_label_count(const qc_model* model);
QC_API const char* qc_model_label_name(const qc_model* model, size_t index);
/* The image geometry the model expects (from image.size and image.mean); QC_FAILED_PRECONDITION when the model
 * carries no image.* metadata. Any out-pointer may be NULL. */
QC_API qc_status qc_model_image_shape(const qc_model* model, size_t* channels, size_t* height, size_t* width);

/* ---- sessions ---------------------------------------------------------------------------------------------- */

/* Later versions append fields here. A struct_size that ends before a field (an application built against an
 * older header) leaves that field at its default. */
typedef struct qc_session_options {
  uint32_t struct_size;
  int64_t max_length;    /* truncate token sequences to this length; 0: the tokenizer's model_max_length */
  int64_t pad_to_length; /* pad token sequences to this length; 0: to the longest text of the batch */
  /* Threads one run uses, counting the caller, 1..256 (default 1; appended field: a struct_size ending before it
   * means 1). The session owns its threads; outputs are bit-identical for every thread count. */
  int32_t num_threads;
} qc_session_options;
#define QC_SESSION_OPTIONS_INIT {sizeof(qc_session_options), 0, 0, 1}

/* A session on `model` (options may be NULL). Not for concurrent use: one thread at a time per session. */
QC_API qc_status qc_session_create(const qc_model* model, const qc_session_options* options, qc_session** session);
QC_API void qc_session_destroy(qc_session* session);

/* Tokenizes `count` UTF-8 texts with the embedded tokenizer and runs them as one batch. */
QC_API qc_status qc_session_run_text(qc_session* session, const char* const* texts, size_t count,
                                     qc_result** result);
/* As qc_session_run_text for `count` pairs (first[i], second[i]): [CLS] first [SEP] second [SEP]. */
QC_API qc_status qc_session_run_text_pairs(qc_session* session, const char* const* first,
                                           const char* const* second, size_t count, qc_result** result);
/* Token ids [batch, length] row-major; attention_mask likewise, or NULL for all ones. token_type_ids, when the
 * model takes them, are 0. */
QC_API qc_status qc_session_run_ids(qc_session* session, const int64_t* ids, const int64_t* attention_mask,
                                    size_t batch, size_t length, qc_result** result);
/* Raw pixels [batch, channels, height, width] row-major; normalized with the model's image.* metadata. */
QC_API qc_status qc_session_run_images(qc_session* session, const float* pixels, size_t batch, size_t channels,
                                       size_t height, size_t width, qc_result** result);

typedef enum qc_dtype { QC_FLOAT32 = 1, QC_INT64 = 2, QC_INT32 = 3 } qc_dtype;

/* One named input for qc_session_run: `data` holds the product of `shape` elements of `dtype`. */
typedef struct qc_input {
  const char* name;
  qc_dtype dtype;
  const void* data;
  const int64_t* shape;
  size_t rank;
} qc_input;
/* Runs the model on inputs given by name, exactly as the graph declares them (see qc_model_input_name). */
QC_API qc_status qc_session_run(qc_session* session, const qc_input* inputs, size_t count, qc_result** result);

/* ---- results ----------------------------------------------------------------------------------------------- */

QC_API void qc_result_destroy(qc_result* result);

/* Output tensors in graph order. Integer outputs are returned as int64 whatever their dtype. Accessors return 0 /
 * NULL for a NULL result or an index out of range; the data accessors return NULL for the other element type. */
QC_API size_t qc_result_output_count(const qc_result* result);
QC_API const char* qc_result_output_name(const qc_result* result, size_t index);
QC_API qc_status qc_result_output_index(const qc_result* result, const char* name, size_t* index);
QC_API qc_dtype qc_result_output_dtype(const qc_result* result, size_t index);
/* The dimensions; *rank (may be NULL) receives their number. */
QC_API const int64_t* qc_result_output_shape(const qc_result* result, size_t index, size_t* rank);
/* The elements; *count (may be NULL) receives their number. */
QC_API const float* qc_result_output_floats(const qc_result* result, size_t index, size_t* count);
QC_API const int64_t* qc_result_output_ints(const qc_result* result, size_t index, size_t* count);

/* Rows of the batch (the first dimension of the first output). */
QC_API size_t qc_result_rows(const qc_result* result);
/* The predicted class of batch row `row`: its index, its name ("" without model.labels) and softmax probability.
 * Out-pointers may be NULL. QC_NOT_FOUND when the model has no logits output (see the overview). */
QC_API qc_status qc_result_label(const qc_result* result, size_t row, int64_t* label, const char** name,
                                 float* score);
/* Softmax probabilities of batch row `row` over all classes; *classes (may be NULL) receives their number.
 * QC_NOT_FOUND when there is no logits output. */
QC_API qc_status qc_result_probabilities(const qc_result* result, size_t row, const float** probabilities,
                                         size_t* classes);
/* The embedding of batch row `row` (see the overview); *dim (may be NULL) receives its length. QC_NOT_FOUND when
 * the model has no embedding output. */
QC_API qc_status qc_result_embedding(const qc_result* result, size_t row, const float** embedding, size_t* dim);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* QCOMPRESS_QCOMPRESS_H_ */
