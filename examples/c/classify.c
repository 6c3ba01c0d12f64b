/* classify: labels sentences with a .qm text classifier through the qcompress C API.
 *
 *   classify MODEL.qm "a gripping film" "dull" ...
 *   -> one line per sentence: <label name or index> <probability> <sentence>
 *
 * Build against an installed runtime with CMake (CMakeLists.txt here: find_package(qcompress)) or pkg-config:
 *   cc -std=c99 classify.c -o classify $(pkg-config --cflags --libs qcompress)
 */
#include <stdio.h>

#include <qcompress/qcompress.h>

int main(int argc, char** argv) {
  qc_model* model = NULL;
  qc_session* session = NULL;
  qc_result* result = NULL;
  size_t i;
  int exit_code = 0;
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.qm TEXT...\n", argv[0]);
    return 2;
  }
  /* The library must implement the interface this program was compiled against. */
  if (QC_CHECK_ABI() != QC_OK || qc_model_load(argv[1], NULL, &model) != QC_OK) {
    fprintf(stderr, "classify: %s\n", qc_last_error());
    return 1;
  }
  if (qc_session_create(model, NULL, &session) != QC_OK ||
      qc_session_run_text(session, (const char* const*)(argv + 2), (size_t)(argc - 2), &result) != QC_OK) {
    fprintf(stderr, "classify: %s\n", qc_last_error());
    exit_code = 1;
  }
  for (i = 0; exit_code == 0 && i < (size_t)(argc - 2); ++i) {
    int64_t label;
    const char* name;
    float score;
    if (qc_result_label(result, i, &label, &name, &score) != QC_OK) {
      fprintf(stderr, "classify: %s\n", qc_last_error());
      exit_code = 1;
    } else if (name[0] != '\0') {
      printf("%s\t%.4f\t%s\n", name, score, argv[i + 2]);
    } else {
      printf("%lld\t%.4f\t%s\n", (long long)label, score, argv[i + 2]);
    }
  }
  /* Any order works: results and sessions keep their model alive. */
  qc_result_destroy(result);
  qc_session_destroy(session);
  qc_model_destroy(model);
  return exit_code;
}
