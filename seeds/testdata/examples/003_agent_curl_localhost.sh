# Seed 003 (Agent-header, 003_119679aedcd86544.txt), "使用curl上传文件".
# Verbatim but for: http://localhost:3000 -> {{BASE}} (picpipe's /compat/agent),
# /path/to/your/file.jpg -> file.jpg (a photo in the working directory). The Agent name fastgpt
# is registered by the test with picpipe agents add.
# Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
curl -X POST '{{BASE}}/api/v1/upload' \
  -H 'Agent: fastgpt' \
  -F 'file=@file.jpg' \
  -F 'created_by=user123'
