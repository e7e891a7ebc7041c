# Seed 002 (APIMart, 002_34bdcd54d4f0aa8f.txt), <RequestExample> cURL.
# Verbatim but for: https://api.apimart.ai -> {{BASE}} (picpipe's /compat/apimart),
# <token> -> {{KEY}}, /path/to/your/image.jpg -> image.jpg (a photo in the working
# directory); and the two spaces of MDX indentation in front of every line.
# Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
curl --request POST \
  --url {{BASE}}/v1/uploads/images \
  --header 'Authorization: Bearer {{KEY}}' \
  --form 'file=@image.jpg'
