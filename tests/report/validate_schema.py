#!/usr/bin/env python3
"""Validates generated report JSON against docs/report-schema.json (CTest test_report_schema).

1. The schema is a valid draft 2020-12 schema, and qc_report_sample's sample.json validates against it.
2. Variants of the sample: documents the schema must accept (optional parts removed) and must reject (a required
   field missing, a wrong type, a value out of range). For every variant, the C++ reader (qc::report::FromJson, run
   through `qc_report_sample --render`) must agree with the schema, so the two cannot drift apart.
Exit 0 pass, 1 fail, 77 skip (python3-jsonschema missing and QC_REQUIRE_CHROMIUM is not 1).
"""
import argparse
import copy
import json
import os
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    try:
        import jsonschema
    except ImportError:
        if os.environ.get("QC_REQUIRE_CHROMIUM") == "1":
            print("FAIL: python3-jsonschema is not installed (tools/install-deps.sh test installs it)")
            return 1
        print("SKIP: python3-jsonschema is not installed; install with tools/install-deps.sh test")
        return 77

    os.makedirs(args.workdir, exist_ok=True)
    subprocess.run([args.sample, args.workdir], check=True)
    with open(args.schema, encoding="utf-8") as f:
        schema = json.load(f)
    with open(os.path.join(args.workdir, "sample.json"), encoding="utf-8") as f:
        sample = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    def variant(edit):
        doc = copy.deepcopy(sample)
        edit(doc)
        return doc

    def drop_optional(doc):
        del doc["metric"]
        for layer in doc["layers"]:
            layer.pop("sqnr_db", None)
            layer.pop("cosine", None)

    def no_layers(doc):
        doc["layers"] = []
        doc["totals"]["layer_bytes_before"] = doc["totals"]["layer_bytes_after"] = 0
        doc["curves"] = []

    accept = {"sample": sample, "without metric and errors": variant(drop_optional), "no layers": variant(no_layers)}
    reject = {
        "layer without scheme": variant(lambda d: d["layers"][0].pop("scheme")),
        "bits as a string": variant(lambda d: d["layers"][0].__setitem__("weight_bits", "8")),
        "bits 0": variant(lambda d: d["layers"][0].__setitem__("weight_bits", 0)),
        "negative bytes": variant(lambda d: d["layers"][1].__setitem__("bytes_after", -1)),
        "cosine 1.5": variant(lambda d: d["layers"][2].__setitem__("cosine", 1.5)),
        "sqnr 300 dB": variant(lambda d: d["layers"][2].__setitem__("sqnr_db", 300.0)),
        "other schema id": variant(lambda d: d.__setitem__("schema", "qcompress.report/2")),
        "curve point without value": variant(lambda d: d["curves"][0]["points"].__setitem__(0, [0])),
        "curve step as float": variant(lambda d: d["curves"][0]["points"].__setitem__(0, [0.5, 1.0])),
        "no totals": variant(lambda d: d.pop("totals")),
        "metric without pass": variant(lambda d: d["metric"].pop("pass")),
        "model name null": variant(lambda d: d["model"].__setitem__("name", None)),
    }

    failures = []
    for expect_valid, cases in ((True, accept), (False, reject)):
        for name, doc in cases.items():
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
            if bool(errors) == expect_valid:
                detail = errors[0].message if errors else "accepted"
                failures.append(f"schema {'rejected' if expect_valid else 'accepted'} '{name}': {detail}")
            path = os.path.join(args.workdir, "variant.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(doc, f, indent=2)
            proc = subprocess.run([args.sample, "--render", path, os.path.join(args.workdir, "variant.html")],
                                  capture_output=True, text=True)
            if (proc.returncode == 0) != expect_valid:
                failures.append(f"C++ FromJson {'rejected' if expect_valid else 'accepted'} '{name}' "
                                f"unlike the schema: {proc.stderr.strip()}")
    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print(f"schema check: OK (sample valid; {len(accept)} accepted and {len(reject)} rejected variants agree "
          "with the C++ reader)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
