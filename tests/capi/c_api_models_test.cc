// The C API on real models (compressed by the capi_make_models fixture): text, pairs, ids, named inputs, images;
// logits, labels with names, embeddings; concurrency and destroy order. Where the C API wraps the C++ API the two
// must agree bit for bit; labels, softmax and pooling are recomputed here independently.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "qcompress/runtime.h"
#include "tests/capi/capi_test_util.h"

using namespace qc::capi_test;

namespace {

const std::vector<std::string> kTexts = {"a gripping , funny and moving film .", "this movie is maddening .",
                                         "it haunts you , you ca n't forget it ."};

ModelPtr Load(const std::string& name) {
  qc_model* model = nullptr;
  const qc_status status = qc_model_load(ModelPath(name).c_str(), nullptr, &model);
  REQUIRE_MESSAGE(status == QC_OK, qc_last_error());
  return ModelPtr(model);
}

SessionPtr NewSession(const qc_model* model) {
  qc_session* session = nullptr;
  REQUIRE_MESSAGE(qc_session_create(model, nullptr, &session) == QC_OK, qc_last_error());
  return SessionPtr(session);
}

std::vector<const char*> CStrings(const std::vector<std::string>& texts) {
  std::vector<const char*> c;
  for (const std::string& t : texts) c.push_back(t.c_str());
  return c;
}

ResultPtr RunText(qc_session* session, const std::vector<std::string>& texts) {
  const std::vector<const char*> c = CStrings(texts);
  qc_result* result = nullptr;
  REQUIRE_MESSAGE(qc_session_run_text(session, c.data(), c.size(), &result) == QC_OK, qc_last_error());
  return ResultPtr(result);
}

std::vector<float> Floats(const qc_result* result, size_t index) {
  size_t n = 0;
  const float* p = qc_result_output_floats(result, index, &n);
  REQUIRE(p != nullptr);
  return std::vector<float>(p, p + n);
}

std::vector<int64_t> Shape(const qc_result* result, size_t index) {
  size_t rank = 0;
  const int64_t* p = qc_result_output_shape(result, index, &rank);
  REQUIRE(p != nullptr);
  return std::vector<int64_t>(p, p + rank);
}

std::shared_ptr<const qc::Model> CxxModel(const std::string& name) {
  auto model = qc::Model::Load(ModelPath(name));
  REQUIRE_MESSAGE(model.ok(), model.status().ToString());
  return *model;
}

}  // namespace

TEST_CASE("Text: logits equal the C++ API's; labels are argmax + softmax with model.labels names") {
  ModelPtr model = Load("bert_example");
  CHECK(qc_model_has_tokenizer(model.get()) == 1);
  REQUIRE(qc_model_input_count(model.get()) == 3);
  CHECK(std::string(qc_model_input_name(model.get(), 0)) == "input_ids");
  CHECK(qc_model_input_name(model.get(), 3) == nullptr);
  REQUIRE(qc_model_output_count(model.get()) == 1);
  CHECK(std::string(qc_model_output_name(model.get(), 0)) == "logits");
  const size_t classes = qc_model_label_count(model.get());
  REQUIRE(classes == 3);
  CHECK(qc_model_label_name(model.get(), classes) == nullptr);

  SessionPtr session = NewSession(model.get());
  ResultPtr result = RunText(session.get(), kTexts);
  REQUIRE(qc_result_output_count(result.get()) == 1);
  CHECK(std::string(qc_result_output_name(result.get(), 0)) == "logits");
  CHECK(qc_result_output_dtype(result.get(), 0) == QC_FLOAT32);
  CHECK(qc_result_output_ints(result.get(), 0, nullptr) == nullptr);
  CHECK(Shape(result.get(), 0) == std::vector<int64_t>{3, 3});
  CHECK(qc_result_rows(result.get()) == 3);
  size_t index = 99;
  CHECK(qc_result_output_index(result.get(), "logits", &index) == QC_OK);
  CHECK(index == 0);
  CHECK(qc_result_output_index(result.get(), "bogus", &index) == QC_NOT_FOUND);
  CHECK(std::string(qc_last_error()).find("bogus") != std::string::npos);

  auto cxx_model = CxxModel("bert_example");
  auto cxx_session = qc::Session::Create(cxx_model);
  REQUIRE(cxx_session.ok());
  auto cxx = cxx_session->RunText(kTexts);
  REQUIRE_MESSAGE(cxx.ok(), cxx.status().ToString());
  const std::vector<float> logits = Floats(result.get(), 0);
  CHECK(logits == (*cxx)[0].tensor.floats);

  for (size_t row = 0; row < kTexts.size(); ++row) {
    const float* l = logits.data() + row * classes;
    const int64_t expected = std::max_element(l, l + classes) - l;
    double sum = 0;
    for (size_t c = 0; c < classes; ++c) sum += std::exp(double(l[c]) - l[expected]);
    int64_t label = -1;
    const char* name = nullptr;
    float score = 0;
    REQUIRE(qc_result_label(result.get(), row, &label, &name, &score) == QC_OK);
    CHECK(label == expected);
    CHECK(std::string(name) == qc_model_label_name(model.get(), static_cast<size_t>(label)));
    CHECK(score == doctest::Approx(1.0 / sum).epsilon(1e-6));
    const float* probabilities = nullptr;
    size_t n = 0;
    REQUIRE(qc_result_probabilities(result.get(), row, &probabilities, &n) == QC_OK);
    REQUIRE(n == classes);
    double total = 0;
    for (size_t c = 0; c < n; ++c) {
      total += probabilities[c];
      CHECK(probabilities[c] == doctest::Approx(std::exp(double(l[c]) - l[expected]) / sum).epsilon(1e-6));
    }
    CHECK(total == doctest::Approx(1.0).epsilon(1e-6));
  }
  CHECK(qc_result_label(result.get(), 3, nullptr, nullptr, nullptr) == QC_OUT_OF_RANGE);
  CHECK(std::string(qc_last_error()).find("row 3 of a batch of 3") != std::string::npos);
  // A classifier has no embedding output.
  const float* embedding = nullptr;
  CHECK(qc_result_embedding(result.get(), 0, &embedding, nullptr) == QC_NOT_FOUND);
  CHECK(embedding == nullptr);

  // The C++ Classify agrees with the C accessors.
  auto predictions = cxx_session->ClassifyText(kTexts);
  REQUIRE(predictions.ok());
  for (size_t row = 0; row < kTexts.size(); ++row) {
    int64_t label = -1;
    REQUIRE(qc_result_label(result.get(), row, &label, nullptr, nullptr) == QC_OK);
    CHECK((*predictions)[row].label == label);
    CHECK((*predictions)[row].name == cxx_model->label_names()[static_cast<size_t>(label)]);
  }
}

TEST_CASE("The C99 caller and the header's usage sketch get the same labels") {
  const std::string path = ModelPath("bert_example");
  const std::vector<const char*> texts = CStrings(kTexts);
  std::vector<int64_t> labels(kTexts.size(), -1);
  std::vector<float> scores(kTexts.size(), 0);
  std::vector<char> names(kTexts.size() * 64);
  char message[512];
  const int status = qc_c_classify(path.c_str(), texts.data(), texts.size(), labels.data(), scores.data(),
                                   names.data(), 64, message, sizeof message);
  REQUIRE_MESSAGE(status == QC_OK, message);
  auto session = qc::Session::Create(CxxModel("bert_example"));
  REQUIRE(session.ok());
  auto predictions = session->ClassifyText(kTexts);
  REQUIRE(predictions.ok());
  for (size_t i = 0; i < kTexts.size(); ++i) {
    CHECK(labels[i] == (*predictions)[i].label);
    CHECK(scores[i] == (*predictions)[i].score);
    CHECK(std::string(names.data() + i * 64) == (*predictions)[i].name);
  }
  char out[512];
  REQUIRE(qc_c_header_sketch(path.c_str(), out, sizeof out) == 0);
  auto one = session->ClassifyText({"a gripping film"});
  REQUIRE(one.ok());
  CHECK(std::string(out) == (*one)[0].name);
  CHECK(qc_c_header_sketch("/nonexistent/bert.qm", out, sizeof out) == 1);
  CHECK(std::string(out).find("/nonexistent/bert.qm") != std::string::npos);
  CHECK(qc_c_classify("/nonexistent/bert.qm", texts.data(), 1, labels.data(), scores.data(), names.data(), 64,
                      message, sizeof message) != QC_OK);
  CHECK(std::string(message).find("/nonexistent/bert.qm") != std::string::npos);
}

TEST_CASE("Text pairs, token ids and named inputs give what the C++ API gives") {
  ModelPtr model = Load("bert_example");
  SessionPtr session = NewSession(model.get());
  auto cxx_session = qc::Session::Create(CxxModel("bert_example"));
  REQUIRE(cxx_session.ok());

  const std::vector<std::string> second = {"it is good .", "dull", "a film"};
  const std::vector<const char*> a = CStrings(kTexts), b = CStrings(second);
  qc_result* raw = nullptr;
  REQUIRE_MESSAGE(qc_session_run_text_pairs(session.get(), a.data(), b.data(), a.size(), &raw) == QC_OK,
                  qc_last_error());
  ResultPtr pairs(raw);
  auto cxx_pairs = cxx_session->RunText(kTexts, second);
  REQUIRE(cxx_pairs.ok());
  CHECK(Floats(pairs.get(), 0) == (*cxx_pairs)[0].tensor.floats);
  ResultPtr single = RunText(session.get(), kTexts);
  CHECK(Floats(pairs.get(), 0) != Floats(single.get(), 0));

  // Token ids: the tokenizer's ids and mask for the batch give the text run's logits.
  auto tokens = cxx_session->Tokenize(kTexts);
  REQUIRE(tokens.ok());
  const qc::HostTensor& ids = (*tokens)[0].tensor;
  const qc::HostTensor& mask = (*tokens)[1].tensor;
  REQUIRE((*tokens)[0].name == "input_ids");
  REQUIRE((*tokens)[1].name == "attention_mask");
  const size_t batch = static_cast<size_t>(ids.shape[0]), length = static_cast<size_t>(ids.shape[1]);
  REQUIRE_MESSAGE(
      qc_session_run_ids(session.get(), ids.ints.data(), mask.ints.data(), batch, length, &raw) == QC_OK,
      qc_last_error());
  ResultPtr by_ids(raw);
  CHECK(Floats(by_ids.get(), 0) == Floats(single.get(), 0));

  // Named inputs, int32 ids included, as the graph declares them.
  std::vector<int32_t> ids32(ids.ints.begin(), ids.ints.end());
  const std::vector<int64_t> zeros(ids.ints.size(), 0);
  const int64_t shape[2] = {ids.shape[0], ids.shape[1]};
  const qc_input inputs[3] = {{"input_ids", QC_INT32, ids32.data(), shape, 2},
                              {"attention_mask", QC_INT64, mask.ints.data(), shape, 2},
                              {"token_type_ids", QC_INT64, zeros.data(), shape, 2}};
  REQUIRE_MESSAGE(qc_session_run(session.get(), inputs, 3, &raw) == QC_OK, qc_last_error());
  ResultPtr named(raw);
  CHECK(Floats(named.get(), 0) == Floats(single.get(), 0));

  CHECK(qc_session_run(session.get(), inputs, 2, &raw) == QC_INVALID_ARGUMENT);
  CHECK(std::string(qc_last_error()).find("token_type_ids") != std::string::npos);
  CHECK(raw == nullptr);
  qc_input bad_type[3] = {inputs[0], inputs[1], inputs[2]};
  const int unknown_dtype = 42;  // what a C caller can store in the enum field (a C++ cast to it would be UB)
  std::memcpy(&bad_type[0].dtype, &unknown_dtype, sizeof unknown_dtype);
  CHECK(qc_session_run(session.get(), bad_type, 3, &raw) == QC_INVALID_ARGUMENT);
  CHECK(std::string(qc_last_error()).find("unknown dtype 42") != std::string::npos);

  // An id beyond the vocabulary is refused by value; texts must not be NULL.
  const int64_t bad_ids[3] = {2, 999999, 3};
  CHECK(qc_session_run_ids(session.get(), bad_ids, nullptr, 1, 3, &raw) == QC_OUT_OF_RANGE);
  CHECK(std::string(qc_last_error()).find("999999") != std::string::npos);
  const char* with_null[2] = {"fine", nullptr};
  CHECK(qc_session_run_text(session.get(), with_null, 2, &raw) == QC_INVALID_ARGUMENT);
  CHECK(std::string(qc_last_error()).find("texts[1] is NULL") != std::string::npos);
  CHECK(qc_session_run_text(session.get(), with_null, 0, &raw) == QC_INVALID_ARGUMENT);
  CHECK(qc_session_run_images(session.get(), std::vector<float>(12).data(), 1, 3, 2, 2, &raw) ==
        QC_FAILED_PRECONDITION);
  CHECK(qc_model_image_shape(model.get(), nullptr, nullptr, nullptr) == QC_FAILED_PRECONDITION);
  CHECK(std::string(qc_last_error()).find("image") != std::string::npos);
}

TEST_CASE("Session options: max_length truncates, pad_to_length pads") {
  ModelPtr model = Load("bert_example");
  qc_session_options options = QC_SESSION_OPTIONS_INIT;
  options.pad_to_length = 24;
  qc_session* raw = nullptr;
  REQUIRE(qc_session_create(model.get(), &options, &raw) == QC_OK);
  SessionPtr padded(raw);
  options.pad_to_length = 0;
  options.max_length = 4;
  REQUIRE(qc_session_create(model.get(), &options, &raw) == QC_OK);
  SessionPtr truncated(raw);
  SessionPtr plain = NewSession(model.get());

  // Padding is masked out, so only rounding may differ; truncation changes what the model sees.
  ResultPtr a = RunText(plain.get(), kTexts), b = RunText(padded.get(), kTexts), c = RunText(truncated.get(), kTexts);
  const std::vector<float> la = Floats(a.get(), 0), lb = Floats(b.get(), 0), lc = Floats(c.get(), 0);
  for (size_t i = 0; i < la.size(); ++i) CHECK(lb[i] == doctest::Approx(la[i]).epsilon(1e-4));
  CHECK(lc != la);
  auto cxx_model = CxxModel("bert_example");
  qc::SessionOptions cxx_options;
  cxx_options.max_length = 4;
  auto cxx = qc::Session::Create(cxx_model, cxx_options);
  REQUIRE(cxx.ok());
  auto tokens = cxx->Tokenize(kTexts);
  REQUIRE(tokens.ok());
  CHECK((*tokens)[0].tensor.shape[1] == 4);
  auto expected = cxx->RunText(kTexts);
  REQUIRE(expected.ok());
  CHECK(lc == (*expected)[0].tensor.floats);
}

TEST_CASE("Embeddings: sequence outputs are mean-pooled over the mask; [batch, hidden] outputs are taken as they are") {
  // BertModel without a tokenizer: ids in, last_hidden_state pooled.
  ModelPtr model = Load("bertmodel");
  CHECK(qc_model_has_tokenizer(model.get()) == 0);
  SessionPtr session = NewSession(model.get());
  const char* text = "a film";
  qc_result* raw = nullptr;
  CHECK(qc_session_run_text(session.get(), &text, 1, &raw) == QC_FAILED_PRECONDITION);
  CHECK(std::string(qc_last_error()).find("tokenizer") != std::string::npos);

  const size_t batch = 2, length = 5;
  const int64_t ids[batch * length] = {2, 17, 40, 33, 3, 2, 17, 3, 0, 0};
  const int64_t mask[batch * length] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  REQUIRE_MESSAGE(qc_session_run_ids(session.get(), ids, mask, batch, length, &raw) == QC_OK, qc_last_error());
  ResultPtr result(raw);
  size_t hidden_index = 0;
  REQUIRE(qc_result_output_index(result.get(), "last_hidden_state", &hidden_index) == QC_OK);
  const std::vector<int64_t> shape = Shape(result.get(), hidden_index);
  REQUIRE(shape == std::vector<int64_t>{2, 5, 64});
  const std::vector<float> hidden = Floats(result.get(), hidden_index);
  CHECK(qc_result_label(result.get(), 0, nullptr, nullptr, nullptr) == QC_NOT_FOUND);
  CHECK(std::string(qc_last_error()).find("logits") != std::string::npos);
  for (size_t row = 0; row < batch; ++row) {
    const float* embedding = nullptr;
    size_t dim = 0;
    REQUIRE(qc_result_embedding(result.get(), row, &embedding, &dim) == QC_OK);
    REQUIRE(dim == 64);
    const size_t kept = row == 0 ? 5 : 3;
    for (size_t k = 0; k < dim; ++k) {
      double sum = 0;
      for (size_t s = 0; s < kept; ++s) sum += hidden[(row * length + s) * dim + k];
      CHECK(embedding[k] == doctest::Approx(sum / kept).epsilon(1e-6));
    }
  }
  const float* none = nullptr;
  CHECK(qc_result_embedding(result.get(), 2, &none, nullptr) == QC_OUT_OF_RANGE);

  // The same through the C++ Embed.
  auto cxx_model = CxxModel("bertmodel");
  std::vector<qc::NamedTensor> outputs = {{"last_hidden_state", qc::HostTensor::Float32({2, 5, 64}, hidden)}};
  const qc::HostTensor cxx_mask = qc::HostTensor::Int64({2, 5}, std::vector<int64_t>(mask, mask + 10));
  auto pooled = qc::Embed(*cxx_model, outputs, &cxx_mask);
  REQUIRE(pooled.ok());
  const float* row1 = nullptr;
  REQUIRE(qc_result_embedding(result.get(), 1, &row1, nullptr) == QC_OK);
  CHECK(std::vector<float>(row1, row1 + 64) ==
        std::vector<float>(pooled->floats.begin() + 64, pooled->floats.begin() + 128));
}

TEST_CASE("Embeddings of a sentence-embedding model are its output rows; EmbedText agrees") {
  ModelPtr model = Load("sentence");
  SessionPtr session = NewSession(model.get());
  ResultPtr result = RunText(session.get(), kTexts);
  REQUIRE(qc_result_output_count(result.get()) == 1);
  CHECK(std::string(qc_result_output_name(result.get(), 0)) == "sentence_embedding");
  const std::vector<int64_t> shape = Shape(result.get(), 0);
  REQUIRE(shape.size() == 2);
  const std::vector<float> output = Floats(result.get(), 0);
  auto session_cxx = qc::Session::Create(CxxModel("sentence"));
  REQUIRE(session_cxx.ok());
  auto embedded = session_cxx->EmbedText(kTexts);
  REQUIRE_MESSAGE(embedded.ok(), embedded.status().ToString());
  CHECK(embedded->floats == output);
  for (size_t row = 0; row < kTexts.size(); ++row) {
    const float* e = nullptr;
    size_t dim = 0;
    REQUIRE(qc_result_embedding(result.get(), row, &e, &dim) == QC_OK);
    REQUIRE(dim == static_cast<size_t>(shape[1]));
    CHECK(std::vector<float>(e, e + dim) ==
          std::vector<float>(output.begin() + row * dim, output.begin() + (row + 1) * dim));
  }
}

TEST_CASE("A model without attention_mask: ClassifyText gives each text what it gets alone") {
  auto model = CxxModel("nomask");
  for (const qc::ValueSignature& in : model->inputs()) CHECK(in.name != "attention_mask");
  auto session = qc::Session::Create(model);
  REQUIRE(session.ok());
  // Three token lengths, one repeated: batched, the short texts would be padded to the longest and attend to it.
  // (EmbedText groups the same way; no fixture is an encoder without a mask input.)
  const std::vector<std::string> texts = {"a film .", "a gripping , funny and moving film .", "it is .",
                                          "this movie is maddening ."};
  auto batch = session->ClassifyText(texts);
  REQUIRE_MESSAGE(batch.ok(), batch.status().ToString());
  REQUIRE(batch->size() == texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    CAPTURE(texts[i]);
    auto alone = session->ClassifyText({texts[i]});
    REQUIRE(alone.ok());
    CHECK((*batch)[i].label == (*alone)[0].label);
    CHECK((*batch)[i].probabilities == (*alone)[0].probabilities);
  }
  // The padded batch RunText builds is what the grouping avoids: its first row differs from the text alone.
  auto padded = session->RunText(texts);
  auto first = session->RunText({texts[0]});
  REQUIRE((padded.ok() && first.ok()));
  const std::vector<float>& logits = padded->front().tensor.floats;
  const size_t classes = first->front().tensor.floats.size();
  CHECK(std::vector<float>(logits.begin(), logits.begin() + static_cast<std::ptrdiff_t>(classes)) !=
        first->front().tensor.floats);
  CHECK_FALSE(session->ClassifyText({"a", "b"}, {"only one pair"}).ok());  // argument errors still come first
}

TEST_CASE("Images: raw NCHW pixels are normalized with image.* metadata; the wrong size is refused") {
  ModelPtr model = Load("vit");
  size_t channels = 0, height = 0, width = 0;
  REQUIRE_MESSAGE(qc_model_image_shape(model.get(), &channels, &height, &width) == QC_OK, qc_last_error());
  CHECK(channels == 3);
  CHECK(height == 32);
  CHECK(width == 32);
  auto cxx_model = CxxModel("vit");
  auto spec = cxx_model->image_spec();
  REQUIRE(spec.ok());
  CHECK(spec->rescale_factor == doctest::Approx(1.0 / 255));

  const size_t batch = 2, n = batch * channels * height * width;
  std::vector<float> pixels(n);
  for (size_t i = 0; i < n; ++i) pixels[i] = static_cast<float>((i * 37) % 256);
  SessionPtr session = NewSession(model.get());
  qc_result* raw = nullptr;
  REQUIRE_MESSAGE(qc_session_run_images(session.get(), pixels.data(), batch, channels, height, width, &raw) == QC_OK,
                  qc_last_error());
  ResultPtr result(raw);

  // Normalize here from the metadata, run the named input, compare.
  std::vector<float> normalized(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = (i / (height * width)) % channels;
    normalized[i] = (pixels[i] * spec->rescale_factor - spec->mean[c]) / spec->stddev[c];
  }
  const int64_t shape[4] = {int64_t(batch), int64_t(channels), int64_t(height), int64_t(width)};
  const qc_input input = {qc_model_input_name(model.get(), 0), QC_FLOAT32, normalized.data(), shape, 4};
  REQUIRE_MESSAGE(qc_session_run(session.get(), &input, 1, &raw) == QC_OK, qc_last_error());
  ResultPtr direct(raw);
  const std::vector<float> a = Floats(result.get(), 0), b = Floats(direct.get(), 0);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == doctest::Approx(b[i]).epsilon(1e-5));
  int64_t label = -1;
  REQUIRE(qc_result_label(result.get(), 1, &label, nullptr, nullptr) == QC_OK);
  CHECK(label >= 0);

  CHECK(qc_session_run_images(session.get(), pixels.data(), 1, channels, 16, 16, &raw) == QC_INVALID_ARGUMENT);
  CHECK(std::string(qc_last_error()).find("resize") != std::string::npos);
  CHECK(raw == nullptr);
}

TEST_CASE("Loading from memory equals loading from the path") {
  std::ifstream in(ModelPath("bert_example"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  qc_model* raw = nullptr;
  REQUIRE_MESSAGE(qc_model_load_from_memory(bytes.data(), bytes.size(), "memory.qm", nullptr, &raw) == QC_OK,
                  qc_last_error());
  ModelPtr from_memory(raw);
  bytes.assign(bytes.size(), '\0');  // the model owns a copy
  ModelPtr from_path = Load("bert_example");
  SessionPtr s1 = NewSession(from_memory.get()), s2 = NewSession(from_path.get());
  ResultPtr r1 = RunText(s1.get(), kTexts), r2 = RunText(s2.get(), kTexts);
  CHECK(Floats(r1.get(), 0) == Floats(r2.get(), 0));
  CHECK(qc_model_label_count(from_memory.get()) == 3);
}

TEST_CASE("Destroy order: sessions and results keep their model alive") {
  qc_model* model = nullptr;
  REQUIRE(qc_model_load(ModelPath("bert_example").c_str(), nullptr, &model) == QC_OK);
  qc_session* session = nullptr;
  REQUIRE(qc_session_create(model, nullptr, &session) == QC_OK);
  ResultPtr before = RunText(session, kTexts);
  qc_model_destroy(model);  // the session still holds the model
  ResultPtr after = RunText(session, kTexts);
  qc_session_destroy(session);  // results outlive both
  CHECK(Floats(before.get(), 0) == Floats(after.get(), 0));
  const char* name = nullptr;
  CHECK(qc_result_label(after.get(), 0, nullptr, &name, nullptr) == QC_OK);
  CHECK(name != nullptr);
}

TEST_CASE("Concurrent sessions on one model from two threads give the single-threaded results") {
  ModelPtr model = Load("bert_example");
  SessionPtr reference_session = NewSession(model.get());
  ResultPtr reference = RunText(reference_session.get(), kTexts);
  const std::vector<float> expected = Floats(reference.get(), 0);
  const std::vector<const char*> texts = CStrings(kTexts);

  constexpr int kThreads = 2, kRuns = 20;
  int mismatches[kThreads] = {0, 0}, failures[kThreads] = {0, 0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      qc_session* session = nullptr;
      if (qc_session_create(model.get(), nullptr, &session) != QC_OK) {
        ++failures[t];
        return;
      }
      for (int r = 0; r < kRuns; ++r) {
        qc_result* result = nullptr;
        if (qc_session_run_text(session, texts.data(), texts.size(), &result) != QC_OK) {
          ++failures[t];
          continue;
        }
        size_t n = 0;
        const float* p = qc_result_output_floats(result, 0, &n);
        if (std::vector<float>(p, p + n) != expected) ++mismatches[t];
        qc_result_destroy(result);
      }
      qc_session_destroy(session);
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    CHECK(failures[t] == 0);
    CHECK(mismatches[t] == 0);
  }
}
