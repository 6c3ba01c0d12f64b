// embed: sentence embeddings (or, for a classifier, labelled predictions) through the qcompress C++ API.
//
//   embed MODEL.qm "a gripping film" "a moving film" "dull" ...
//   -> encoders: the embedding size and the cosine similarity of every pair of sentences
//   -> classifiers (no embedding output): <label> <probability> <sentence> per sentence
//
// Build against an installed runtime: CMakeLists.txt here (find_package(qcompress), target qcompress::runtime).
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <qcompress/runtime.h>

namespace {

double Cosine(const float* a, const float* b, int64_t n) {
  double dot = 0, na = 0, nb = 0;
  for (int64_t i = 0; i < n; ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0.0;
}

int Fail(const qc::Status& status) {
  std::fprintf(stderr, "embed: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.qm TEXT...\n", argv[0]);
    return 2;
  }
  const std::vector<std::string> texts(argv + 2, argv + argc);
  qc::Expected<std::shared_ptr<const qc::Model>> model = qc::Model::Load(argv[1]);
  if (!model.ok()) return Fail(model.status());
  qc::Expected<qc::Session> session = qc::Session::Create(*model);
  if (!session.ok()) return Fail(session.status());

  qc::Expected<qc::HostTensor> embeddings = session->EmbedText(texts);
  if (embeddings.ok()) {
    const int64_t dim = embeddings->shape[1];
    std::printf("%zu embeddings of size %lld\n", texts.size(), static_cast<long long>(dim));
    for (size_t i = 0; i < texts.size(); ++i) {
      for (size_t j = i + 1; j < texts.size(); ++j) {
        const float* base = embeddings->floats.data();
        std::printf("cos(%zu, %zu) = %.4f\n", i, j, Cosine(base + i * dim, base + j * dim, dim));
      }
    }
    return 0;
  }
  if (embeddings.status().code() != qc::StatusCode::kNotFound) return Fail(embeddings.status());

  // No embedding output: a classifier. Name each prediction.
  qc::Expected<std::vector<qc::Prediction>> predictions = session->ClassifyText(texts);
  if (!predictions.ok()) return Fail(predictions.status());
  for (size_t i = 0; i < texts.size(); ++i) {
    const qc::Prediction& p = (*predictions)[i];
    const std::string label = p.name.empty() ? std::to_string(p.label) : p.name;
    std::printf("%s\t%.4f\t%s\n", label.c_str(), p.score, texts[i].c_str());
  }
  return 0;
}
