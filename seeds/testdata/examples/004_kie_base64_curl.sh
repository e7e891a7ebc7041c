# Seed 004 (KIE.AI, 004_a941acc42034dd8b.txt), "Base64 文件上传" request example (cURL).
# Verbatim but for: https://api.kie.ai -> {{BASE}} (picpipe's /compat/kie), <token> -> {{KEY}}.
# The seed's other tabs (JavaScript, Java, Swift) show no code.
# Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
curl --location --request POST '{{BASE}}/api/file-base64-upload' \
--header 'Authorization: Bearer {{KEY}}' \
--header 'Content-Type: application/json' \
--data-raw '{
    "base64Data": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==",
    "uploadPath": "images/base64",
    "fileName": "test-image.png"
}'
