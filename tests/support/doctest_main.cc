// Shared main() for every doctest binary.
//
// Besides running the tests it counts the assertions that ran and fails the binary when there were none. That
// catches test files whose CHECK macros were silently replaced (c10 defines its own CHECK: a file that includes
// doctest before torch asserts nothing) and test filters that matched nothing.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

namespace {

int g_assertions = 0;
int g_test_cases = 0;

struct AssertionCounter : public doctest::IReporter {
  explicit AssertionCounter(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats& stats) override {
    g_assertions += stats.numAssertsCurrentTest;
    ++g_test_cases;
  }
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("qc_assertion_counter", 1, AssertionCounter);

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context;
  context.applyCommandLine(argc, argv);
  const int result = context.run();
  if (context.shouldExit()) return result;  // --help, --list-test-cases, ...
  if (result == 0 && g_assertions == 0) {
    std::fprintf(stderr,
                 "[qc] FAIL: %d test case(s) ran and made 0 assertions. A test that asserts nothing cannot fail; "
                 "if this file includes torch, include it before doctest or use DOCTEST_CHECK (c10 defines CHECK).\n",
                 g_test_cases);
    return 1;
  }
  return result;
}
