// Seed 002 (Tchek, "Webhooks"), "Webhooks Resources": the doc's Express example, copied below. As printed it never
// answers (its handler body is only a comment), so three lines are added, each marked `// added`: express.json()
// to parse the body, a log of req.body as JSON (what the test reads) and the minimum answer, res.sendStatus(200).
// Substituted when run (test_seed_002_tchek.py): 3000 (the port, twice) -> a free port. Run with `node <copy>`
// and NODE_PATH=tests/conformance/node/node_modules (express, installed by `make node`).
const express = require('express')
const app = express()
app.use(express.json()) // added: parse the JSON body

app.post('/webhook', (req, res) => {
  // Handle the webhook request
  console.log(JSON.stringify(req.body)) // added: log what arrived
  res.sendStatus(200) // added: the minimum answer
})

app.listen(3000, () => {
  console.log('Webhook server listening on port 3000')
})
