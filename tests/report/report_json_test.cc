#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "report/report.h"
#include "tests/report/sample_report.h"

using qc::report::FromJson;
using qc::report::Report;
using qc::report::ToJson;

namespace {

// Replaces the first occurrence of `from` (which must exist) in `text`.
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "fixture text not found: " << from);
  return text.replace(at, from.size(), to);
}

std::string ErrorOf(const std::string& json) {
  auto r = FromJson(json);
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

}  // namespace

TEST_CASE("JSON round trip is lossless and byte-identical") {
  const Report r = qc::test::SampleReport();
  REQUIRE(qc::report::Validate(r).ok());
  const std::string a = ToJson(r);
  CHECK(a == ToJson(qc::test::SampleReport()));  // same input, same bytes
  auto back = FromJson(a);
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  CHECK(*back == r);
  CHECK(ToJson(*back) == a);
  CHECK(a.back() == '\n');
  CHECK(a.find("\"schema\": \"qcompress.report/1\"") != std::string::npos);
  // The derived totals are written for readers and agree with the rows.
  uint64_t before = 0;
  for (const auto& l : r.layers) before += l.bytes_before;
  CHECK(a.find("\"layer_bytes_before\": " + std::to_string(before)) != std::string::npos);
}

TEST_CASE("round trip of awkward numbers and an empty report") {
  Report r;
  r.layers.push_back({"x", "MatMul", {0, 3}, 1, "b1", 0, 0, 0.1, -1.0});
  r.layers.push_back({"y", "Conv", {}, 64, "", std::numeric_limits<uint64_t>::max(), 1, 1e-300, 0.30000000000000004});
  r.curves.push_back({"c", {{-5, 1e308}, {0, -0.0}, {std::numeric_limits<int64_t>::max(), 5e-324}}});
  r.metric = qc::report::MakeMetric("ppl", 10.0, 10.5, std::nullopt, 11.0, /*higher_is_better=*/false);
  auto back = FromJson(ToJson(r));
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  CHECK(*back == r);
  CHECK(ToJson(*back) == ToJson(r));

  Report empty;
  auto e = FromJson(ToJson(empty));
  REQUIRE(e.ok());
  CHECK(*e == empty);
  CHECK_FALSE(e->metric.has_value());
}

TEST_CASE("invalid UTF-8 in a name does not break the writer") {
  Report r;
  r.model_name = std::string("bad\xff\xfe") + "name";
  const std::string json = ToJson(r);
  auto back = FromJson(json);
  REQUIRE(back.ok());
  CHECK(back->model_name == "bad\xEF\xBF\xBD\xEF\xBF\xBDname");  // U+FFFD per bad byte
}

TEST_CASE("FromJson errors name the field") {
  const std::string good = ToJson(qc::test::SampleReport());
  CHECK(ErrorOf("{not json") == "report: not valid JSON");
  CHECK(ErrorOf("[]") == "report: expected an object");
  CHECK(FromJson(Replace(good, "qcompress.report/1", "qcompress.report/9")).status().code() ==
        qc::StatusCode::kUnsupported);
  CHECK(ErrorOf(Replace(good, "\"bytes_after\": ", "\"bytes_after\": -")) ==
        "report.layers[0].bytes_after: expected a non-negative integer");
  CHECK(ErrorOf(Replace(good, "\"scheme\": ", "\"schema_typo\": ")) == "report.layers[0].scheme: missing");
  CHECK(ErrorOf(Replace(good, "\"weight_bits\": 8", "\"weight_bits\": 80")) ==
        "report.layers[0].weight_bits: 80 is outside 1..64");
  CHECK(ErrorOf(Replace(good, "\"weight_bits\": 8", "\"weight_bits\": \"8\"")) ==
        "report.layers[0].weight_bits: expected an integer");
  CHECK(ErrorOf(Replace(good, "\"name\": \"tiny-bert", "\"name\": 7, \"x\": \"")) ==
        "report.model.name: expected a string");
  CHECK(ErrorOf(Replace(good, "\"pass\": true", "\"pass\": false")).find("report.metric.pass") == 0);
  CHECK(ErrorOf(Replace(good, "\"ratio\": ", "\"ratio\": 1")) == "report.totals.ratio: does not equal before / after");
  CHECK(ErrorOf(Replace(good, "\"warnings\": [", "\"warnings\": [3,")) == "report.warnings[0]: expected a string");
  CHECK(
      ErrorOf(Replace(good, "\"points\": [\n        [\n          0,", "\"points\": [\n        [\n          \"0\",")) ==
      "report.curves[0].points[0]: expected [integer step, number value]");
  CHECK(ErrorOf(Replace(good, "[\n          10,", "[\n          0,")) ==
        "report.curves[0].points[1]: step 0 does not increase on the previous step");
  // A cosine out of range passes the JSON grammar but not Validate.
  CHECK(ErrorOf(Replace(good, "\"cosine\": 0.", "\"cosine\": 1.")).find("report.layers[0].cosine: ") == 0);
}

TEST_CASE("Validate rejects what JSON cannot carry") {
  Report r = qc::test::SampleReport();
  r.layers[2].sqnr_db = std::numeric_limits<double>::infinity();
  CHECK(qc::report::Validate(r).message().find("report.layers[2].sqnr_db") == 0);
  r = qc::test::SampleReport();
  r.layers[3].sqnr_db = 200.5;
  CHECK(qc::report::Validate(r).message() == "report.layers[3].sqnr_db: 200.5 is outside [-200, 200] dB");
  r = qc::test::SampleReport();
  r.layers[1].weight_bits = 0;
  CHECK(qc::report::Validate(r).message() == "report.layers[1].weight_bits: 0 is outside 1..64");
  r = qc::test::SampleReport();
  r.metric->teacher = std::nan("");
  CHECK(qc::report::Validate(r).message().find("report.metric.teacher") == 0);
  r = qc::test::SampleReport();
  r.metric->trained_agreement = 1.5;
  CHECK(qc::report::Validate(r).message() == "report.metric.trained_agreement: 1.5 is outside [0, 1]");
  r = qc::test::SampleReport();
  r.metric->trained_max_diff = -0.25;
  CHECK(qc::report::Validate(r).message() == "report.metric.trained_max_diff: -0.25 is negative");
  r.metric->trained_max_diff = std::numeric_limits<double>::infinity();
  CHECK(qc::report::Validate(r).message().find("report.metric.trained_max_diff") == 0);
}

TEST_CASE("trained_agreement is optional, round-trips and is shown in the text and HTML renderings") {
  const Report r = qc::test::SampleReport();
  const std::string json = ToJson(r);
  CHECK(json.find("\"trained_agreement\": 0.9995") != std::string::npos);
  CHECK(qc::report::RenderText(r).find(".qm = trained: same prediction on 99.95% of eval examples") !=
        std::string::npos);
  CHECK(qc::report::RenderHtml(r).find(".qm = trained on 99.95%") != std::string::npos);
  auto back = FromJson(json);
  REQUIRE(back.ok());
  CHECK(back->metric->trained_agreement == 0.9995);
  Report without = r;
  without.metric->trained_agreement.reset();  // a run without training: the field is omitted, not null
  CHECK(ToJson(without).find("trained_agreement") == std::string::npos);
  CHECK(qc::report::RenderText(without).find(".qm = trained") == std::string::npos);
  auto back_without = FromJson(ToJson(without));
  REQUIRE(back_without.ok());
  CHECK_FALSE(back_without->metric->trained_agreement.has_value());
  Report almost = r;
  almost.metric->trained_agreement = 0.99999;  // 1 of 100,000 differs: never shown as 100%
  CHECK(qc::report::RenderText(almost).find("same prediction on 99.99% of eval examples") != std::string::npos);
  CHECK(qc::report::RenderHtml(almost).find(".qm = trained on 99.99%") != std::string::npos);
  almost.metric->trained_agreement = 1.0;
  CHECK(qc::report::RenderText(almost).find("same prediction on 100.00% of eval examples") != std::string::npos);
  CHECK(ErrorOf(json.substr(0, json.find("\"trained_agreement\": ")) + "\"trained_agreement\": \"all\"" +
                json.substr(json.find("0.9995") + 6)) == "report.metric.trained_agreement: expected a number");
}

TEST_CASE("trained_max_diff (regression runs) is optional, round-trips and is shown in text and HTML") {
  Report r = qc::test::SampleReport();
  r.metric->trained_agreement.reset();
  r.metric->trained_max_diff = 0.00125;
  const std::string json = ToJson(r);
  CHECK(json.find("\"trained_max_diff\": 0.00125") != std::string::npos);
  CHECK(json.find("trained_agreement") == std::string::npos);
  CHECK(qc::report::RenderText(r).find(".qm vs trained: outputs differ by at most 0.00125 on eval examples") !=
        std::string::npos);
  CHECK(qc::report::RenderHtml(r).find(".qm vs trained: outputs within 0.00125") != std::string::npos);
  auto back = FromJson(json);
  REQUIRE(back.ok());
  CHECK(*back == r);
  CHECK(ToJson(qc::test::SampleReport()).find("trained_max_diff") == std::string::npos);  // omitted when absent
}

TEST_CASE("metric gates") {
  using qc::report::MakeMetric;
  CHECK(MakeMetric("acc", 0.92, 0.91, 0.02, std::nullopt).pass);
  CHECK_FALSE(MakeMetric("acc", 0.92, 0.89, 0.02, std::nullopt).pass);    // drop 0.03 > 0.02
  CHECK_FALSE(MakeMetric("acc", 0.92, 0.91, std::nullopt, 0.915).pass);   // below the floor
  CHECK(MakeMetric("acc", 0.92, 0.10, std::nullopt, std::nullopt).pass);  // no gate, no failure
  auto ppl = MakeMetric("ppl", 10.0, 10.4, 0.5, 12.0, /*higher_is_better=*/false);
  CHECK(ppl.drop() == doctest::Approx(0.4));
  CHECK(ppl.pass);
  CHECK_FALSE(MakeMetric("ppl", 10.0, 10.6, 0.5, std::nullopt, false).pass);
  CHECK_FALSE(MakeMetric("ppl", 10.0, 10.4, std::nullopt, 10.2, false).pass);               // above the ceiling
  CHECK(MakeMetric("acc", 0.9, 0.95, 0.0, std::nullopt).drop() == doctest::Approx(-0.05));  // improvement passes
  CHECK(MakeMetric("acc", 0.9, 0.95, 0.0, std::nullopt).pass);
}
