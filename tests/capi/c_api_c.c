/* The C API used from C99: compiled with -std=c99 -Wpedantic -Werror, so the header must be valid C. The doctest in
 * c_api_test.cc calls these functions and checks what they return against the C++ API. */
#include <stdio.h>
#include <string.h>

#include "qcompress/qcompress.h"

/* Copies qc_last_error() into message and returns status. */
static int fail(int status, char* message, size_t message_size) {
  snprintf(message, message_size, "%s", qc_last_error());
  return status;
}

/* Classifies `count` texts with the model at `path`: labels[i], scores[i] and names (each name_size bytes). 0 on
 * success, else the qc_status with the message in `message`. */
int qc_c_classify(const char* path, const char* const* texts, size_t count, int64_t* labels, float* scores,
                  char* names, size_t name_size, char* message, size_t message_size) {
  qc_model_options model_options = QC_MODEL_OPTIONS_INIT;
  qc_session_options session_options = QC_SESSION_OPTIONS_INIT;
  qc_model* model = NULL;
  qc_session* session = NULL;
  qc_result* result = NULL;
  qc_status status;
  size_t i;
  message[0] = '\0';
  if ((status = QC_CHECK_ABI()) != QC_OK) return fail(status, message, message_size);
  if ((status = qc_model_load(path, &model_options, &model)) != QC_OK) return fail(status, message, message_size);
  status = qc_session_create(model, &session_options, &session);
  if (status == QC_OK) status = qc_session_run_text(session, texts, count, &result);
  if (status == QC_OK && qc_result_rows(result) != count) {
    snprintf(message, message_size, "qc_result_rows is %lu, expected %lu", (unsigned long)qc_result_rows(result),
             (unsigned long)count);
    status = QC_INTERNAL;
  }
  for (i = 0; status == QC_OK && i < count; ++i) {
    const char* name = NULL;
    status = qc_result_label(result, i, &labels[i], &name, &scores[i]);
    if (status == QC_OK) snprintf(names + i * name_size, name_size, "%s", name);
  }
  if (status != QC_OK && message[0] == '\0') fail(status, message, message_size);
  qc_result_destroy(result);
  qc_session_destroy(session);
  qc_model_destroy(model);
  return status;
}

/* The usage sketch at the top of qcompress.h, as written there (with the path and output made parameters). */
int qc_c_header_sketch(const char* path, char* out, size_t out_size) {
  qc_model* m; qc_session* s = NULL; qc_result* r = NULL; const char *text = "a gripping film", *label;
  out[0] = '\0';
  if (QC_CHECK_ABI() || qc_model_load(path, NULL, &m)) { snprintf(out, out_size, "%s", qc_last_error()); return 1; }
  if (qc_session_create(m, NULL, &s) || qc_session_run_text(s, &text, 1, &r))
    snprintf(out, out_size, "%s", qc_last_error());
  else if (qc_result_label(r, 0, NULL, &label, NULL) == QC_OK) snprintf(out, out_size, "%s", label);
  qc_result_destroy(r); qc_session_destroy(s); qc_model_destroy(m);
  return 0;
}
