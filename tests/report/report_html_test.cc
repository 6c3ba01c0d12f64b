#include <doctest/doctest.h>

#include <string>

#include "report/report.h"
#include "report/svg_chart.h"
#include "tests/report/sample_report.h"

using qc::report::Report;

namespace {

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("HTML: one row and one bar per layer, one line per curve, deterministic") {
  const Report r = qc::test::SampleReport();
  const std::string html = qc::report::RenderHtml(r);
  CHECK(html == qc::report::RenderHtml(qc::test::SampleReport()));
  size_t with_sqnr = 0;
  for (const auto& l : r.layers) with_sqnr += l.sqnr_db.has_value();
  REQUIRE(r.layers.size() == 14);
  REQUIRE(with_sqnr == 13);  // the float classifier has no error to report
  CHECK(Count(html, "<tr class=\"layer-row\">") == r.layers.size());
  CHECK(Count(html, "class=\"bar before\"") == r.layers.size());
  CHECK(Count(html, "class=\"bar after\"") == r.layers.size());
  CHECK(Count(html, "class=\"bar sqnr\"") == with_sqnr);
  CHECK(Count(html, "<polyline class=\"curve\"") == r.curves.size());
  CHECK(html.find("PASS") != std::string::npos);
  CHECK(html.find("encoder.layer.1.output.dense") != std::string::npos);
}

TEST_CASE("HTML: hostile text is escaped everywhere") {
  const std::string html = qc::report::RenderHtml(qc::test::SampleReport());
  CHECK(Count(html, "<script") == 0);
  CHECK(Count(html, "</script") == 0);
  CHECK(html.find("classifier&lt;script&gt;alert(&quot;pwn&quot;)&lt;/script&gt; &#39;head&#39;") != std::string::npos);
  CHECK(html.find("&lt;b&gt;too small&lt;/b&gt; &amp; not worth") != std::string::npos);
  CHECK(html.find("tiny-bert-2L &quot;sst2&quot; &lt;demo&gt; &amp; co") != std::string::npos);
  CHECK(qc::report::EscapeHtml("a\x01\x1b[31mb\n") == "a[31mb\n");  // no terminal escapes, no control bytes
}

TEST_CASE("HTML: self-contained, no script, no external asset") {
  const std::string html = qc::report::RenderHtml(qc::test::SampleReport());
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(Count(html, "https://") == 0);
  CHECK(Count(html, "http://") == Count(html, "xmlns=\"http://www.w3.org/2000/svg\""));  // only the SVG namespace
  CHECK(Count(html, " src=") == 0);
  CHECK(Count(html, "<link") == 0);
  CHECK(Count(html, "url(") == 0);
  CHECK(Count(html, "@import") == 0);
}

TEST_CASE("HTML: many layers aggregate the bytes chart by op type; empty report renders") {
  Report r;
  for (int i = 0; i < 50; ++i) {
    const char* op = i % 3 == 0 ? "Gather" : i % 3 == 1 ? "MatMul" : "Conv";
    r.layers.push_back({"l" + std::to_string(i), op, {4, 4}, 2, "t2", 64, 8, 10.0 + i, 0.99});
  }
  const std::string html = qc::report::RenderHtml(r);
  CHECK(Count(html, "class=\"bar before\"") == 3);
  CHECK(html.find("MatMul (17 layers)") != std::string::npos);
  CHECK(Count(html, "class=\"bar sqnr\"") == 50);  // SQNR stays per layer
  CHECK(Count(html, "<tr class=\"layer-row\">") == 50);

  const std::string empty = qc::report::RenderHtml(Report{});
  CHECK(Count(empty, "<svg") == 0);
  CHECK(empty.find("(unnamed model)") != std::string::npos);
  CHECK(empty.find("</html>") != std::string::npos);
}

TEST_CASE("chart helpers") {
  using qc::report::NiceTicks;
  CHECK(NiceTicks(0, 10, 5) == std::vector<double>{0, 2, 4, 6, 8, 10});
  CHECK(NiceTicks(0, 9.3, 5) == std::vector<double>{0, 2, 4, 6, 8});
  CHECK(NiceTicks(-1, 1, 4) == std::vector<double>{-1, -0.5, 0, 0.5, 1});
  CHECK(qc::report::TickText(2.5e7) == "2.5e+07");
  CHECK(qc::report::TickText(0.25) == "0.25");
  // A long label is shortened on a character boundary with an ellipsis; the tooltip keeps it whole.
  qc::report::BarChart c{"c", {{"s", "#000000"}}, {}, "", 1};
  std::string name;
  for (int i = 0; i < 40; ++i) name += "\xC3\xA9";  // 'é' twice as many bytes as characters
  name += "_tail_beyond_the_limit";
  c.rows.push_back({name, {1.0}, ""});
  const std::string svg = qc::report::RenderBarChart(c);
  CHECK(svg.find("<title>" + name + "</title>") != std::string::npos);
  CHECK(svg.find(name.substr(0, 80) + "_tail_b\xE2\x80\xA6") != std::string::npos);  // 40 + 7 chars + ellipsis
}

TEST_CASE("text summary lists every layer and the totals") {
  const Report r = qc::test::SampleReport();
  const std::string text = qc::report::RenderText(r);
  for (const auto& l : r.layers) CHECK(text.find(l.name) != std::string::npos);
  CHECK(text.find("file bytes:  " + std::to_string(r.totals.file_bytes_before) + " -> " +
                  std::to_string(r.totals.file_bytes_after)) != std::string::npos);
  CHECK(text.find("accuracy teacher 0.9128 -> student 0.9002 (drop 0.0126, max drop 0.02, min 0.85) PASS") !=
        std::string::npos);
}

TEST_CASE("text summary keeps terminal control sequences out") {
  Report r;
  r.model_name = "evil\x1b[2Jname";
  r.layers.push_back(
      {"l\x07"
       "ayer",
       "MatMul",
       {2},
       2,
       "t2",
       8,
       1,
       std::nullopt,
       std::nullopt});
  const std::string text = qc::report::RenderText(r);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find('\x07') == std::string::npos);
  CHECK(text.find("evil?[2Jname") != std::string::npos);
  CHECK(text.find("l?ayer") != std::string::npos);
}
