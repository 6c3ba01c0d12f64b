// `qcrun inspect` prints the report embedded in a .qm (Model.report_json) without the source model.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "exporters/qm/qm_writer.h"
#include "qcrun/inspect.h"
#include "report/report.h"
#include "tests/format/qm_test_util.h"
#include "tests/report/sample_report.h"

namespace {

std::string Inspect(const std::string& path, bool json, int* code) {
  std::ostringstream out, err;
  qc::tools::InspectOptions options;
  options.path = path;
  options.json = json;
  *code = qc::tools::RunInspect(options, out, err);
  return out.str() + err.str();
}

}  // namespace

TEST_CASE("inspect prints the embedded report's per-layer table and totals") {
  qc::test::TempDir dir;
  qc::test::SampleModel sample;
  const qc::report::Report report = qc::test::SampleReport();
  sample.spec.report_json = qc::report::ToJson(report);
  REQUIRE(qc::qm::WriteQmFile(sample.spec, dir.File("m.qm")).ok());
  int code = -1;
  const std::string text = Inspect(dir.File("m.qm"), false, &code);
  CHECK(code == 0);
  CHECK(text.find("report:        " + report.model_name) != std::string::npos);
  for (const auto& l : report.layers) CHECK(text.find(l.name) != std::string::npos);
  CHECK(text.find("  layers:      14\n") != std::string::npos);
  CHECK(text.find("file bytes:  " + std::to_string(report.totals.file_bytes_before) + " -> " +
                  std::to_string(report.totals.file_bytes_after)) != std::string::npos);
  CHECK(text.find(") PASS\n") != std::string::npos);

  const std::string json = Inspect(dir.File("m.qm"), true, &code);
  CHECK(code == 0);
  CHECK(json.find("\"schema\": \"qcompress.report/1\"") != std::string::npos);
}

TEST_CASE("inspect names an unreadable report and still succeeds") {
  qc::test::TempDir dir;
  qc::test::SampleModel sample;
  sample.spec.report_json = R"({"layers": []})";  // not a qcompress.report/1 document
  REQUIRE(qc::qm::WriteQmFile(sample.spec, dir.File("m.qm")).ok());
  int code = -1;
  const std::string text = Inspect(dir.File("m.qm"), false, &code);
  CHECK(code == 0);
  CHECK(text.find("report:        present but not readable (invalid_argument: report.schema: missing)") !=
        std::string::npos);

  sample.spec.report_json.clear();
  REQUIRE(qc::qm::WriteQmFile(sample.spec, dir.File("plain.qm")).ok());
  CHECK(Inspect(dir.File("plain.qm"), false, &code).find("report:") == std::string::npos);
}
