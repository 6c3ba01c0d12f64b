// The C API's contract without running a model: versions, status codes and messages, NULL handles, options, and
// the per-thread last error.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "qcompress/runtime.h"
#include "tests/capi/capi_test_util.h"

namespace fs = std::filesystem;
using namespace qc::capi_test;

namespace {

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

fs::path WriteFile(const std::string& name, const std::string& bytes) {
  const fs::path path = fs::temp_directory_path() / name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

}  // namespace

TEST_CASE("Versions: the header and the loaded library agree; the ABI check names both versions") {
  CHECK(std::string(qc_version()) == QC_VERSION_STRING);
  CHECK(std::string(qc_version()) == std::to_string(QC_VERSION_MAJOR) + "." + std::to_string(QC_VERSION_MINOR) +
                                         "." + std::to_string(QC_VERSION_PATCH));
  CHECK(qc_abi_version() == QC_ABI_VERSION);
  CHECK(QC_CHECK_ABI() == QC_OK);
  CHECK(std::string(qc_last_error()).empty());
  CHECK(qc_check_abi(QC_ABI_VERSION + 1) == QC_FAILED_PRECONDITION);
  const std::string message = qc_last_error();
  CHECK(Contains(message, "ABI " + std::to_string(QC_ABI_VERSION + 1)));
  CHECK(Contains(message, "ABI " + std::to_string(QC_ABI_VERSION)));
  CHECK(Contains(message, QC_VERSION_STRING));
}

TEST_CASE("Every status code has the C++ StatusCode's value and name") {
  for (int code = QC_OK; code <= QC_INTERNAL; ++code) {
    CHECK(std::string(qc_status_name(code)) == std::string(qc::StatusCodeName(static_cast<qc::StatusCode>(code))));
  }
  CHECK(std::string(qc_status_name(QC_CORRUPT_DATA)) == "corrupt_data");
  CHECK(std::string(qc_status_name(QC_INTERNAL + 1)) == "unknown");
  CHECK(std::string(qc_status_name(-1)) == "unknown");
}

TEST_CASE("Loading a missing, corrupt or truncated file fails with a message naming it; *model stays NULL") {
  qc_model* model = reinterpret_cast<qc_model*>(0x1);  // must be overwritten with NULL
  const std::string missing = (fs::temp_directory_path() / "qc_capi_no_such_file.qm").string();
  const qc_status status = qc_model_load(missing.c_str(), nullptr, &model);
  CHECK((status == QC_NOT_FOUND || status == QC_IO_ERROR));
  CHECK(model == nullptr);
  CHECK(Contains(qc_last_error(), missing));

  const fs::path garbage = WriteFile("qc_capi_garbage.qm", std::string(4096, 'x'));
  CHECK(qc_model_load(garbage.string().c_str(), nullptr, &model) == QC_CORRUPT_DATA);
  CHECK(model == nullptr);
  CHECK(Contains(qc_last_error(), garbage.string()));

  // The same bytes from memory: the message uses the given name.
  const std::string bytes(4096, 'x');
  CHECK(qc_model_load_from_memory(bytes.data(), bytes.size(), "in-memory-model", nullptr, &model) == QC_CORRUPT_DATA);
  CHECK(model == nullptr);
  CHECK(Contains(qc_last_error(), "in-memory-model"));
  fs::remove(garbage);

  // A real model cut short.
  std::ifstream in(ModelPath("bert_example"), std::ios::binary);
  const std::string full((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(full.size() > 1000);
  CHECK(qc_model_load_from_memory(full.data(), full.size() / 2, "half.qm", nullptr, &model) == QC_CORRUPT_DATA);
  CHECK(Contains(qc_last_error(), "half.qm"));
  CHECK(model == nullptr);
}

TEST_CASE("NULL handles and arguments: QC_INVALID_ARGUMENT naming the function and argument; accessors give 0/NULL") {
  qc_model* model = nullptr;
  qc_session* session = nullptr;
  qc_result* result = nullptr;
  CHECK(qc_model_load(nullptr, nullptr, &model) == QC_INVALID_ARGUMENT);
  CHECK(Contains(qc_last_error(), "qc_model_load: path is NULL"));
  CHECK(qc_model_load("x.qm", nullptr, nullptr) == QC_INVALID_ARGUMENT);
  CHECK(Contains(qc_last_error(), "model is NULL"));
  CHECK(qc_model_load_from_memory(nullptr, 10, "m", nullptr, &model) == QC_INVALID_ARGUMENT);
  CHECK(qc_session_create(nullptr, nullptr, &session) == QC_INVALID_ARGUMENT);
  CHECK(Contains(qc_last_error(), "qc_session_create: model is NULL"));
  CHECK(session == nullptr);
  const char* text = "a film";
  CHECK(qc_session_run_text(nullptr, &text, 1, &result) == QC_INVALID_ARGUMENT);
  CHECK(Contains(qc_last_error(), "qc_session_run_text: session is NULL"));
  CHECK(qc_session_run_text_pairs(nullptr, &text, &text, 1, &result) == QC_INVALID_ARGUMENT);
  const int64_t ids[2] = {2, 3};
  CHECK(qc_session_run_ids(nullptr, ids, nullptr, 1, 2, &result) == QC_INVALID_ARGUMENT);
  const float pixels[1] = {0};
  CHECK(qc_session_run_images(nullptr, pixels, 1, 1, 1, 1, &result) == QC_INVALID_ARGUMENT);
  CHECK(qc_session_run(nullptr, nullptr, 0, &result) == QC_INVALID_ARGUMENT);
  CHECK(qc_session_run_text(nullptr, &text, 1, nullptr) == QC_INVALID_ARGUMENT);
  CHECK(Contains(qc_last_error(), "result is NULL"));
  CHECK(result == nullptr);

  CHECK(qc_model_image_shape(nullptr, nullptr, nullptr, nullptr) == QC_INVALID_ARGUMENT);
  CHECK(qc_model_input_count(nullptr) == 0);
  CHECK(qc_model_input_name(nullptr, 0) == nullptr);
  CHECK(qc_model_output_count(nullptr) == 0);
  CHECK(qc_model_output_name(nullptr, 0) == nullptr);
  CHECK(qc_model_has_tokenizer(nullptr) == 0);
  CHECK(qc_model_label_count(nullptr) == 0);
  CHECK(qc_model_label_name(nullptr, 0) == nullptr);

  size_t n = 99;
  CHECK(qc_result_output_count(nullptr) == 0);
  CHECK(qc_result_output_name(nullptr, 0) == nullptr);
  CHECK(qc_result_output_dtype(nullptr, 0) == 0);
  CHECK(qc_result_output_shape(nullptr, 0, &n) == nullptr);
  CHECK(n == 0);
  n = 99;
  CHECK(qc_result_output_floats(nullptr, 0, &n) == nullptr);
  CHECK(n == 0);
  CHECK(qc_result_output_ints(nullptr, 0, nullptr) == nullptr);
  CHECK(qc_result_rows(nullptr) == 0);
  CHECK(qc_result_output_index(nullptr, "logits", &n) == QC_INVALID_ARGUMENT);
  CHECK(qc_result_label(nullptr, 0, nullptr, nullptr, nullptr) == QC_INVALID_ARGUMENT);
  const float* data = nullptr;
  CHECK(qc_result_probabilities(nullptr, 0, &data, nullptr) == QC_INVALID_ARGUMENT);
  CHECK(qc_result_embedding(nullptr, 0, &data, nullptr) == QC_INVALID_ARGUMENT);
  CHECK(Contains(qc_last_error(), "qc_result_embedding: result is NULL"));

  // Destroying NULL is a no-op.
  qc_result_destroy(nullptr);
  qc_session_destroy(nullptr);
  qc_model_destroy(nullptr);
}

TEST_CASE("Options structs: the _INIT macros give the defaults; a struct_size too small is refused") {
  const qc_model_options model_defaults = QC_MODEL_OPTIONS_INIT;
  CHECK(model_defaults.struct_size == sizeof(qc_model_options));
  CHECK(model_defaults.verify_tensor_checksums == 1);
  const qc_session_options session_defaults = QC_SESSION_OPTIONS_INIT;
  CHECK(session_defaults.struct_size == sizeof(qc_session_options));
  CHECK(session_defaults.max_length == 0);
  CHECK(session_defaults.pad_to_length == 0);

  qc_model_options old_model = QC_MODEL_OPTIONS_INIT;
  old_model.struct_size = 4;
  qc_model* model = nullptr;
  CHECK(qc_model_load(ModelPath("bert_example").c_str(), &old_model, &model) == QC_INVALID_ARGUMENT);
  CHECK(Contains(qc_last_error(), "QC_MODEL_OPTIONS_INIT"));
  CHECK(model == nullptr);

  qc_model_options no_checksums = QC_MODEL_OPTIONS_INIT;
  no_checksums.verify_tensor_checksums = 0;
  REQUIRE(qc_model_load(ModelPath("bert_example").c_str(), &no_checksums, &model) == QC_OK);
  ModelPtr owned(model);
  qc_session_options old_session = QC_SESSION_OPTIONS_INIT;
  old_session.struct_size = 8;
  qc_session* session = nullptr;
  CHECK(qc_session_create(model, &old_session, &session) == QC_INVALID_ARGUMENT);
  CHECK(Contains(qc_last_error(), "QC_SESSION_OPTIONS_INIT"));
  qc_session_options negative = QC_SESSION_OPTIONS_INIT;
  negative.max_length = -1;
  CHECK(qc_session_create(model, &negative, &session) == QC_INVALID_ARGUMENT);
  CHECK(session == nullptr);
}

TEST_CASE("qc_last_error is per thread, cleared by the next successful call") {
  CHECK(qc_model_load(nullptr, nullptr, nullptr) == QC_INVALID_ARGUMENT);
  const std::string mine = qc_last_error();
  CHECK_FALSE(mine.empty());
  std::string other = "unset";
  std::thread([&] { other = qc_last_error(); }).join();
  CHECK(other.empty());
  std::thread([] { (void)qc_check_abi(0); }).join();  // another thread's failure leaves ours alone
  CHECK(std::string(qc_last_error()) == mine);
  CHECK(QC_CHECK_ABI() == QC_OK);
  CHECK(std::string(qc_last_error()).empty());
}
