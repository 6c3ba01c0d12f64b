// Tests for importers/hf/image_config.h (preprocessor_config.json) and importers/hf/sentence_transformers.h
// (modules.json, 1_Pooling/config.json, sentence_bert_config.json).
#include <doctest/doctest.h>

#include <string>

#include "hf_test_util.h"
#include "importers/hf/image_config.h"
#include "importers/hf/sentence_transformers.h"
#include "tests/support/test_paths.h"

using namespace qc::hf;
using qc::StatusCode;
using qc::hf::test::Must;
using qc::hf::test::TempDir;

TEST_CASE("ViT preprocessor_config.json") {
  HfImageSpec s = Must(ParseHfImageSpec(R"({"do_normalize": true, "do_rescale": true, "do_resize": true,
      "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225],
      "image_processor_type": "ViTImageProcessor", "resample": 3, "rescale_factor": 0.00392156862745098,
      "size": {"height": 384, "width": 320}})",
                                        "p.json", 3, 224, 224));
  CHECK(s.source == "p.json");
  CHECK(s.processor_type == "ViTImageProcessor");
  CHECK(s.height == 384);
  CHECK(s.width == 320);
  CHECK(s.resample == 3);
  CHECK(s.EffectiveRescale() == 0.00392156862745098);
  CHECK(s.EffectiveMean() == std::vector<double>{0.485, 0.456, 0.406});
  CHECK(s.EffectiveStd() == std::vector<double>{0.229, 0.224, 0.225});

  // Defaults, scalar mean/std, int size, switches off.
  s = Must(ParseHfImageSpec(R"({"feature_extractor_type": "ViTFeatureExtractor", "size": 64, "image_mean": 0.5,
      "do_normalize": false, "do_rescale": false})",
                            "p.json", 3, 224, 224));
  CHECK(s.processor_type == "ViTFeatureExtractor");
  CHECK(s.height == 64);
  CHECK(s.width == 64);
  CHECK(s.mean == std::vector<double>{0.5, 0.5, 0.5});
  CHECK(s.EffectiveMean() == std::vector<double>{0, 0, 0});
  CHECK(s.EffectiveStd() == std::vector<double>{1, 1, 1});
  CHECK(s.EffectiveRescale() == 1.0);
  s = Must(ParseHfImageSpec("{}", "p.json", 1, 32, 48));
  CHECK(s.height == 32);
  CHECK(s.width == 48);
  CHECK(s.mean == std::vector<double>{0.5});
  CHECK(s.EffectiveRescale() == 1.0 / 255.0);

  const auto error = [](const std::string& text) {
    auto r = ParseHfImageSpec(text, "p.json", 3, 224, 224);
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  CHECK(error(R"({"image_mean": [0.5, 0.5]})") == "p.json: field 'image_mean' has 2 values for 3 channels");
  CHECK(error(R"({"image_std": [0.5, 0, 0.5]})") == "p.json: field 'image_std' contains a value <= 0");
  CHECK(error(R"({"image_std": "x"})") ==
        "p.json: field 'image_std' is string, expected a number or a list of numbers");
  CHECK(error(R"({"size": {"shortest_edge": 224}})").find("shortest_edge / longest_edge resizing") !=
        std::string::npos);
  CHECK(error(R"({"size": {"height": 224}})") == "p.json: field 'size.width' is missing");
  CHECK(error(R"({"size": -3})") == "p.json: field 'size' -3x-3 is out of range");
  CHECK(error(R"({"do_center_crop": true})").find("center cropping is not supported") != std::string::npos);
  CHECK(error(R"({"rescale_factor": 0})") == "p.json: field 'rescale_factor' must be finite and > 0");
  CHECK(error(R"({"resample": 9})") == "p.json: field 'resample' is not a PIL filter code (0-5)");
  CHECK(ParseHfImageSpec("{}", "p.json", 0, 224, 224).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("the real vit_tiny preprocessor_config.json") {
  const auto path = qc::test::FixturesDir() / "hf" / "vit_tiny" / "preprocessor_config.json";
  if (!std::filesystem::exists(path)) {
    MESSAGE("tests/fixtures/hf not present; skipping");
    CHECK(true);
    return;
  }
  HfImageSpec s = Must(ReadHfImageSpec(path.string(), 3, 224, 224));
  CHECK(s.height == 32);
  CHECK(s.width == 32);
  CHECK(s.resample == 2);
  CHECK(s.EffectiveMean() == std::vector<double>{0.5, 0.5, 0.5});
  CHECK(s.EffectiveStd() == std::vector<double>{0.5, 0.5, 0.5});
  CHECK(s.EffectiveRescale() == 0.00392156862745098);
}

namespace {

const char* kModules = R"([
  {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
  {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
  {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}
])";

const char* kMeanPooling = R"({"word_embedding_dimension": 384, "pooling_mode_cls_token": false,
  "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false})";

}  // namespace

TEST_CASE("sentence-transformers: the all-MiniLM-L6-v2 layout") {
  TempDir dir;
  CHECK_FALSE(Must(ReadSentenceTransformersConfig(dir.str())).has_value());  // plain HF directory

  dir.Write("modules.json", kModules);
  dir.Write("1_Pooling/config.json", kMeanPooling);
  dir.Write("sentence_bert_config.json", R"({"max_seq_length": 256, "do_lower_case": false})");
  std::optional<HfPoolingSpec> st = Must(ReadSentenceTransformersConfig(dir.str()));
  REQUIRE(st.has_value());
  CHECK(st->modules_path == dir.str() + "/modules.json");
  CHECK(st->transformer_path.empty());
  CHECK(st->mode == HfPoolingMode::kMean);
  CHECK(HfPoolingModeName(st->mode) == "mean");
  CHECK(st->normalize);
  CHECK(st->word_embedding_dimension == 384);
  CHECK(st->max_seq_length == 256);
  CHECK(st->do_lower_case == false);
  CHECK(st->include_prompt);

  // Old layout: the transformer in a subfolder, CLS pooling by name, no Normalize.
  TempDir old;
  old.Write("modules.json", R"([{"path": "0_Transformer", "type": "sentence_transformers.models.Transformer"},
                                {"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}])");
  old.Write("1_Pooling/config.json", R"({"pooling_mode": "cls"})");
  old.Write("0_Transformer/sentence_bert_config.json", R"({"max_seq_length": 128})");
  st = Must(ReadSentenceTransformersConfig(old.str()));
  REQUIRE(st.has_value());
  CHECK(st->transformer_path == "0_Transformer");
  CHECK(st->mode == HfPoolingMode::kCls);
  CHECK_FALSE(st->normalize);
  CHECK(st->max_seq_length == 128);
}

TEST_CASE("sentence-transformers rejections") {
  const auto error = [](const std::string& modules, const std::string& pooling) {
    TempDir dir;
    dir.Write("modules.json", modules);
    dir.Write("1_Pooling/config.json", pooling);
    auto r = ReadSentenceTransformersConfig(dir.str());
    REQUIRE_FALSE(r.ok());
    std::string message = r.status().message();
    const size_t at = message.find(dir.str());
    if (at != std::string::npos) message.replace(at, dir.str().size(), "<dir>");
    return message;
  };
  const std::string t = R"({"path": "", "type": "sentence_transformers.models.Transformer"})";
  const std::string p = R"({"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"})";
  CHECK(error("[" + t + "," + p + R"(, {"path": "2_Dense", "type": "sentence_transformers.models.Dense"}])",
              kMeanPooling) ==
        "<dir>/modules.json: module 2 'sentence_transformers.models.Dense' is not supported (only a final Normalize "
        "may follow Pooling)");
  CHECK(error("[" + p + "," + t + "]", kMeanPooling).find("only the pipeline Transformer -> Pooling") !=
        std::string::npos);
  CHECK(error(R"([{"path": "", "type": "my_package.Encoder"}])", kMeanPooling) ==
        "<dir>/modules.json: field '[0].type' = 'my_package.Encoder' is not a sentence-transformers module");
  CHECK(error("[" + t + R"(, {"path": "../../etc", "type": "sentence_transformers.models.Pooling"}])", kMeanPooling) ==
        "<dir>/modules.json: field '[1].path' = '../../etc' leaves the model directory ('..')");
  CHECK(error("[" + t + R"(, {"path": "/etc", "type": "sentence_transformers.models.Pooling"}])", kMeanPooling)
            .find("is absolute") != std::string::npos);
  CHECK(error(R"({"modules": []})", kMeanPooling) ==
        "<dir>/modules.json: expected a JSON array of modules, got object");
  CHECK(error("[" + t + "," + p + "]", R"({"pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": true})") ==
        "<dir>/1_Pooling/config.json: 2 pooling modes are enabled (their outputs are concatenated); only a single "
        "mode is supported");
  CHECK(error("[" + t + "," + p + "]", R"({"pooling_mode_mean_tokens": false})") ==
        "<dir>/1_Pooling/config.json: no pooling mode is enabled");
  CHECK(error("[" + t + "," + p + "]", R"({"pooling_mode": "median"})") ==
        "<dir>/1_Pooling/config.json: field 'pooling_mode' = 'median' is not a known pooling mode");
  CHECK(error("[" + t + "," + p + "]", R"({"pooling_mode_mean_tokens": 1})") ==
        "<dir>/1_Pooling/config.json: field 'pooling_mode_mean_tokens' is integer, expected a boolean");
  TempDir no_pooling;
  no_pooling.Write("modules.json", "[" + t + "," + p + "]");
  CHECK(ReadSentenceTransformersConfig(no_pooling.str()).status().code() == StatusCode::kNotFound);
}
