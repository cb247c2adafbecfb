const express = require('express');
const crypto = require('crypto');
const app = express();

const WEBHOOK_SECRET = process.env.WEBHOOK_SECRET;

app.use(express.json());

function verifySignature(payload, signature) {
  const expectedSignature = crypto
    .createHmac('sha256', WEBHOOK_SECRET)
    .update(payload)
    .digest('hex');
  
  return crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expectedSignature));
}

app.post('/webhook', (req, res) => {
  const payload = JSON.stringify(req.body);
  const signature = req.headers['x-webhook-signature'];
  
  // Verify signature
  if (!verifySignature(payload, signature)) {
    return res.status(401).json({ error: 'Invalid signature' });
  }
  
  const { event_type, data } = req.body;
  
  // Handle events
  if (event_type === 'optimization.completed') {
    console.log(`Optimization ${data.job_id} completed`);
  } else if (event_type === 'vision.completed') {
    console.log(`Vision analysis ${data.job_id} completed`);
  }
  
  res.json({ status: 'received' });
});

app.listen(process.env.PORT);
