// Renders the API reference from the server's OpenAPI document with Swagger UI (swagger-ui-bundle.js,
// loaded just before). A file of its own: the page's Content-Security-Policy allows no inline script.
//
// "Try it out" sends requests from this page; protected operations need a token or API key pasted
// into "Authorize". Swagger UI keeps it in memory only (persistAuthorization is off).
window.ui = SwaggerUIBundle({
  url: '/api/v1/openapi.json',
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  deepLinking: true,
  validatorUrl: null,  // never send the document to an outside validator
  persistAuthorization: false,
  displayRequestDuration: true,
});
