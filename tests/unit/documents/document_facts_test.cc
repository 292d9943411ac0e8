#include "server/engine/documents/document_facts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/engine/formats/json_text.h"

namespace sidecard::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

DocumentFacts Analyze(std::string_view json) {
  auto document = ParseJson(json);
  EXPECT_TRUE(document.ok()) << document.status();
  return AnalyzeDocument(*document);
}

TEST(DocumentFactsTest, MergedLayoutWithBackends) {
  const DocumentFacts facts = Analyze(R"({
    "face_detection": {"insightface": {"success": true,
        "faces": [{"face_id": 0}, {"face_id": 1}],
        "metadata": {"faces_found": 2, "processing_time": 1.25, "detector": "insightface"}}},
    "yolov8": {"yolov8": {"success": false, "error": "cuda out of memory",
        "objects": [{"class_name": "person"}, {"class_name": "person"}, {"class_name": "sports ball"}],
        "metadata": {"objects_found": 3, "detection_time": 0.5, "model_path": "yolov8n.pt"}}},
    "sidecar_info": {"operation_type": "face_detection", "created_at": "2025-05-03T10:00:00"}})");
  EXPECT_TRUE(facts.valid());
  EXPECT_EQ(facts.layout, DocumentLayout::kMerged);
  EXPECT_TRUE(facts.IsSidecarDocument());
  EXPECT_THAT(facts.operations, ElementsAre("face_detection", "yolov8"));
  ASSERT_EQ(facts.payloads.size(), 2u);
  EXPECT_EQ(facts.payloads[0].backend, "insightface");
  EXPECT_EQ(facts.payloads[0].success, true);
  EXPECT_EQ(facts.payloads[0].processing_time_seconds, 1.25);
  EXPECT_EQ(facts.payloads[1].success, false);
  EXPECT_EQ(facts.payloads[1].processing_time_seconds, 0.5);
  EXPECT_THAT(facts.payloads[1].object_classes,
              ElementsAre(std::pair<std::string, int64_t>{"person", 2},
                          std::pair<std::string, int64_t>{"sports ball", 1}));
  EXPECT_EQ(facts.faces(), 2);
  EXPECT_EQ(facts.objects(), 3);
  EXPECT_EQ(facts.detection_count(), 5);
  EXPECT_THAT(facts.tool_names, ElementsAre("insightface", "yolov8n.pt"));
  EXPECT_THAT(facts.warnings, IsEmpty());
}

TEST(DocumentFactsTest, PayloadDirectlyUnderOperation) {
  const DocumentFacts facts =
      Analyze(R"({"face_detection": {"success": true, "faces": [], "processing_time": 2}})");
  EXPECT_TRUE(facts.valid());
  ASSERT_EQ(facts.payloads.size(), 1u);
  EXPECT_EQ(facts.payloads[0].backend, "");
  EXPECT_EQ(facts.payloads[0].processing_time_seconds, 2.0);
}

// A null `metadata` holds nothing: it is never looked into (RapidJSON asserts
// on member lookups in a non-object, in builds with assertions).
TEST(DocumentFactsTest, NullMetadataIsNotLookedInto) {
  const DocumentFacts facts =
      Analyze(R"({"face_detection": {"success": true, "metadata": null, "processing_time": 2}})");
  EXPECT_TRUE(facts.valid());
  ASSERT_EQ(facts.payloads.size(), 1u);
  EXPECT_EQ(facts.payloads[0].processing_time_seconds, 2.0);
}

TEST(DocumentFactsTest, CountsFallBackToMetadataWhenNoArrays) {
  const DocumentFacts facts = Analyze(
      R"({"face_detection": {"success": true, "metadata": {"faces_found": 4}},
          "object_detection": {"success": true, "objects_found": 2}})");
  EXPECT_EQ(facts.faces(), 4);
  EXPECT_EQ(facts.objects(), 2);
}

TEST(DocumentFactsTest, EnvelopeLayout) {
  const DocumentFacts facts = Analyze(
      R"({"sidecar_info": {"operation_type": "face_detection"},
          "data": {"success": true, "faces": [{}, {}, {}]}})");
  EXPECT_TRUE(facts.valid());
  EXPECT_EQ(facts.layout, DocumentLayout::kEnvelope);
  EXPECT_THAT(facts.operations, ElementsAre("face_detection"));
  EXPECT_EQ(facts.faces(), 3);
}

TEST(DocumentFactsTest, Regression_ClaimedCountsSaturateInsteadOfOverflowing) {
  // Counts are whatever a file claims; two backends claiming INT64_MAX faces
  // overflowed the totals (UBSan, document_facts fuzz seed).
  const DocumentFacts facts = Analyze(
      R"({"face_detection": {"a": {"success": true, "face_count": 9223372036854775807},
                             "b": {"success": true, "face_count": 9223372036854775807}},
          "object_detection": {"success": true, "objects_found": 9223372036854775807}})");
  EXPECT_TRUE(facts.valid());
  EXPECT_EQ(facts.faces(), INT64_MAX);
  EXPECT_EQ(facts.objects(), INT64_MAX);
  EXPECT_EQ(facts.detection_count(), INT64_MAX);
}

TEST(DocumentFactsTest, LegacyScriptKeysMapToOperations) {
  const DocumentFacts facts = Analyze(
      R"({"Face_detector": {"success": true, "faces": [{}]},
          "Object_detector": {"success": true, "objects": [{"class_name": "car"}]},
          "Quality_assessor": {"success": true}})");
  EXPECT_TRUE(facts.valid());
  EXPECT_EQ(facts.layout, DocumentLayout::kLegacyScript);
  EXPECT_THAT(facts.operations,
              ElementsAre("face_detection", "object_detection", "quality_assessment"));
}

// docs/CONTRACT.md §5: "accepted a bare number or list as valid".
TEST(DocumentFactsTest, Regression_NonObjectDocumentsAreInvalid) {
  for (const char* json : {"42", "[1, 2, 3]", "\"text\"", "null", "true"}) {
    const DocumentFacts facts = Analyze(json);
    EXPECT_FALSE(facts.valid()) << json;
    EXPECT_FALSE(facts.IsSidecarDocument()) << json;
    ASSERT_EQ(facts.problems.size(), 1u) << json;
    EXPECT_THAT(facts.problems[0], HasSubstr("not a JSON object")) << json;
  }
}

TEST(DocumentFactsTest, WrongTypesAreProblemsNamingTheField) {
  const DocumentFacts facts = Analyze(
      R"({"face_detection": {"insightface": {"success": "yes", "faces": {"0": {}}}},
          "sidecar_info": "today"})");
  EXPECT_FALSE(facts.valid());
  EXPECT_THAT(facts.problems,
              ::testing::UnorderedElementsAre(
                  "sidecar_info is a string, expected an object",
                  "face_detection.insightface.success is a string, expected a boolean",
                  "face_detection.insightface.faces is an object, expected an array"));
}

TEST(DocumentFactsTest, OperationThatIsNotAnObjectIsAProblem) {
  const DocumentFacts facts = Analyze(R"({"yolov8": [1, 2]})");
  EXPECT_FALSE(facts.valid());
  EXPECT_THAT(facts.problems, ElementsAre("yolov8 is an array, expected an object"));
}

// What a caller saves is what Validate judges: a payload of the caller's own
// shape (no success, faces, ...) is valid with a warning, not misread as a map
// of backends whose values "are not payload objects" (the old package's own
// tests save {"test": "data", "confidence": 0.95} and expect a valid file).
TEST(DocumentFactsTest, APayloadOfTheCallersOwnShapeIsValidWithAWarning) {
  const DocumentFacts facts =
      Analyze(R"({"face_detection": {"test": "data", "confidence": 0.95}})");
  EXPECT_TRUE(facts.valid()) << ::testing::PrintToString(facts.problems);
  EXPECT_THAT(facts.operations, ElementsAre("face_detection"));
  ASSERT_EQ(facts.payloads.size(), 1u);
  EXPECT_EQ(facts.payloads[0].backend, "");
  EXPECT_THAT(facts.warnings, ElementsAre("face_detection has none of success, faces, objects, "
                                          "detections or metadata"));
}

// With at least one object member the value is a map of backends, and a
// member that is not an object is still a problem.
TEST(DocumentFactsTest, ABackendThatIsNotAnObjectIsAProblem) {
  const DocumentFacts facts =
      Analyze(R"({"face_detection": {"insightface": {"success": true}, "note": 5}})");
  EXPECT_FALSE(facts.valid());
  EXPECT_THAT(facts.problems,
              ElementsAre("face_detection.note is a number, expected a payload object"));
}

TEST(DocumentFactsTest, UnknownKeysAreKeptAsWarnings) {
  const DocumentFacts facts = Analyze(
      R"({"sidecar_info": {}, "notes": "hello",
          "pose_estimation": {"mediapipe": {"success": true}}})");
  EXPECT_TRUE(facts.valid());
  EXPECT_THAT(facts.operations, ElementsAre("pose_estimation"));
  EXPECT_THAT(facts.warnings,
              ::testing::UnorderedElementsAre("unknown top-level key 'notes' kept",
                                              "unknown operation 'pose_estimation' (counted as "
                                              "an operation)"));
}

TEST(DocumentFactsTest, SidecarDocumentNeedsInfoOrOperation) {
  EXPECT_FALSE(Analyze(R"({"name": "x", "version": "1.0"})").IsSidecarDocument());
  EXPECT_TRUE(Analyze(R"({"sidecar_info": {}})").IsSidecarDocument());
  EXPECT_TRUE(Analyze(R"({"unified": {"success": true}})").IsSidecarDocument());
}

// An unknown key is an operation only when its value is a payload as the
// contract defines it (a boolean `success`, or a faces/objects/detections
// array), directly or per backend; anything looser would let Cleanup take
// someone's settings file for an orphaned sidecar.
TEST(DocumentFactsTest, Regression_AnUnknownKeyIsAnOperationOnlyWithARealPayload) {
  for (const char* not_a_sidecar :
       {R"({"x": {"metadata": {}}})", R"({"x": {"success": "yes"}})", R"({"x": {"faces": 3}})",
        R"({"x": {"a": {"metadata": {"n": 1}}}})"}) {
    const DocumentFacts facts = Analyze(not_a_sidecar);
    EXPECT_FALSE(facts.IsSidecarDocument()) << not_a_sidecar;
    EXPECT_THAT(facts.operations, ElementsAre()) << not_a_sidecar;
  }
  for (const char* sidecar : {R"({"pose_detection": {"success": false}})",
                              R"({"pose_detection": {"poses": [], "detections": []}})",
                              R"({"pose_detection": {"mediapipe": {"success": true}}})"}) {
    EXPECT_TRUE(Analyze(sidecar).IsSidecarDocument()) << sidecar;
  }
}

TEST(DocumentFactsTest, Regression_ARepeatedKeyCountsOnceAsItsLastCopy) {
  // The analysis counted every copy while saves (NormalizeLayout) and serde
  // keep only the last, so Validate disagreed with what is written (found by
  // the document_facts fuzzer).
  const DocumentFacts facts = Analyze(R"({"face_detection": {"success": true, "faces": [{}, {}]},)"
                                      R"( "face_detection": {"success": true, "faces": [{}]}})");
  EXPECT_EQ(facts.faces(), 1);
  EXPECT_EQ(facts.operations.size(), 1u);
  // A payload in an earlier copy does not make a document a sidecar document
  // when the copy that counts is not one.
  EXPECT_FALSE(Analyze(R"({"b": {"success": true}, "b": {"note": 1}})").IsSidecarDocument());
  EXPECT_TRUE(Analyze(R"({"b": {"note": 1}, "b": {"success": true}})").IsSidecarDocument());
}

}  // namespace
}  // namespace sidecard::engine
