# CTest setup fixture of tests/capi: compresses the example and test fixtures into ${OUT} with ${QCOMPRESS}.
#   bert_example.qm   examples/bert-tiny: classifier, embedded tokenizer, model.labels
#   bertmodel.qm      BertModel export without a tokenizer: last_hidden_state + pooler_output, ids only
#   sentence.qm       sentence-transformers export (sentence_embedding) with the example's tokenizer
#   vit.qm            ViT classifier from a Hugging Face directory: image.* metadata
#   nomask.qm         classifier whose export takes input_ids only (no attention_mask), the example's tokenizer
file(MAKE_DIRECTORY ${OUT})
set(fixtures ${SOURCE_DIR}/tests/fixtures)
set(jobs
  "bert_example|${SOURCE_DIR}/examples/bert-tiny/model.onnx"
  "bertmodel|${fixtures}/onnx/bertmodel_opset14_sdpa/model.onnx"
  "sentence|${fixtures}/onnx_extra/bert_sentence_embedding/model.onnx|--tokenizer|${SOURCE_DIR}/examples/bert-tiny"
  "vit|${fixtures}/hf/vit_tiny"
  "nomask|${fixtures}/onnx/bert_opset14_sdpa_nomask/model.onnx|--tokenizer|${SOURCE_DIR}/examples/bert-tiny")
foreach(job IN LISTS jobs)
  string(REPLACE "|" ";" args "${job}")
  list(POP_FRONT args name)
  execute_process(COMMAND ${QCOMPRESS} ${args} -o ${OUT}/${name}.qm -q RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "qcompress ${args} failed (${rc}): ${err}")
  endif()
endforeach()
