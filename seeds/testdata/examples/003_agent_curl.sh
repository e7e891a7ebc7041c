# Seed 003 (Agent-header, 003_119679aedcd86544.txt), the request example at the top.
# Verbatim but for: https://api.example.com -> {{BASE}} (picpipe's /compat/agent), <agent> ->
# fastgpt (an Agent name the test registers with picpipe agents add). example-file is a photo in
# the working directory, under that name (no extension: picpipe judges it by its bytes).
# Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
curl --request POST \
  --url {{BASE}}/api/v1/upload \
  --header 'Agent: fastgpt' \
  --header 'Content-Type: multipart/form-data' \
  --form file='@example-file' \
  --form created_by=xiaoming
