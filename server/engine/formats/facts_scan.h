// A quick parse for analysis only: reads JSON text into a document that
// AnalyzeDocument (document_facts.h) reads exactly as it reads the full one,
// without converting or storing the thousands of numbers inside arrays (face
// encodings, landmarks, boxes) that the analysis never looks at.
//
// Outside arrays the document is the one ParseJson builds (same values, same
// number types). Inside an array, elements keep their kind only: a number
// element reads as 0, a container nested in an element is empty, and only
// the members of element objects keep their strings (`class_name`).
#ifndef SIDECARD_SERVER_ENGINE_FORMATS_FACTS_SCAN_H_
#define SIDECARD_SERVER_ENGINE_FORMATS_FACTS_SCAN_H_

#include <rapidjson/document.h>

#include <string_view>

namespace sidecard::engine {

// Fills `document` and returns true when `text` is surely a JSON text that
// ParseJson accepts. Returns false when unsure: any error, and also rare valid
// texts it leaves to ParseJson (numbers with very long integer parts or large
// exponents); the caller then parses with ParseJson, which words the error.
// Never accepts a text ParseJson refuses.
bool ScanForFacts(std::string_view text, rapidjson::Document& document);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_FORMATS_FACTS_SCAN_H_
