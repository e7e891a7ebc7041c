# Seed 003 (Agent-header, 003_119679aedcd86544.txt), "使用Python上传文件".
# Verbatim but for: http://localhost:3000 -> {{BASE}} (picpipe's /compat/agent). document.pdf
# is a PDF in the working directory; the Agent name fastgpt is registered by the test.
# Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
import requests

url = '{{BASE}}/api/v1/upload'
headers = {
    'Agent': 'fastgpt'
}

files = {
    'file': open('document.pdf', 'rb')
}

data = {
    'created_by': 'python_user'
}

response = requests.post(url, headers=headers, files=files, data=data)
result = response.json()

print(f"文件上传成功!访问URL: {result['data']['id']}")
print(f"文件大小: {result['data']['size']} bytes")
