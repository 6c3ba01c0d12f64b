// qc_report_sample: test helper for the Python checks in this folder.
//   qc_report_sample OUT_DIR                 writes OUT_DIR/sample.json and OUT_DIR/sample.html (the sample report)
//   qc_report_sample --render IN.json OUT.html   parses IN.json with FromJson and renders it
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "report/report.h"
#include "tests/report/sample_report.h"

namespace {

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) std::cerr << "qc_report_sample: cannot write " << path << "\n";
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--render") {
    std::ifstream in(argv[2], std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      std::cerr << "qc_report_sample: cannot read " << argv[2] << "\n";
      return 1;
    }
    auto report = qc::report::FromJson(text.str());
    if (!report.ok()) {
      std::cerr << "qc_report_sample: " << argv[2] << ": " << report.status().ToString() << "\n";
      return 1;
    }
    return WriteFile(argv[3], qc::report::RenderHtml(*report)) ? 0 : 1;
  }
  if (argc != 2) {
    std::cerr << "usage: qc_report_sample OUT_DIR | qc_report_sample --render IN.json OUT.html\n";
    return 2;
  }
  const qc::report::Report r = qc::test::SampleReport();
  if (auto st = qc::report::Validate(r); !st.ok()) {
    std::cerr << "qc_report_sample: " << st.ToString() << "\n";
    return 1;
  }
  const std::string dir = argv[1];
  return WriteFile(dir + "/sample.json", qc::report::ToJson(r)) &&
                 WriteFile(dir + "/sample.html", qc::report::RenderHtml(r))
             ? 0
             : 1;
}
