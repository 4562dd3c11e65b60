import { connectionSchema } from '../../connections/present.js';
import { connectSessionSchema } from '../../connect/present.js';
import {
  callbackParams,
  completeBody,
  connectForm,
  connectPageParams,
  connectPageQuery,
  connectSessionBody,
  connectSessionParams,
} from '../../connect/schema.js';
import {
  errorResponse,
  json,
  jsonBody,
  pathParameters,
  queryParameters,
  serviceAuth,
  type PathItems,
} from './shared.js';

const javascript = (description: string) => ({
  description,
  content: { 'text/javascript': { schema: { type: 'string' } } },
});
const htmlPage = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});
const tokenParameter = pathParameters(connectPageParams);
const callbackAnswers = {
  '302': {
    description: 'to return_to with connection_id & status=success, or status=error&error=…',
  },
  '200': htmlPage('connected (no return_to)'),
  '400': htmlPage('the flow failed'),
};

/** Connect sessions (service API) and the browser consent flow. */
export const connectPaths: PathItems = {
  '/v1/connect-sessions': {
    post: {
      operationId: 'createConnectSession',
      summary: 'Mint a single-use connect link for one (provider, subject), valid 10 minutes',
      security: serviceAuth,
      requestBody: jsonBody(connectSessionBody),
      responses: {
        '201': json('the link to send the user to', connectSessionSchema),
        '400': errorResponse,
        '401': errorResponse,
        '403': errorResponse,
        '404': errorResponse,
      },
    },
  },
  '/v1/connect-sessions/{id}/complete': {
    post: {
      operationId: 'completeConnectSession',
      summary:
        'App handshake: exchange the code of the success redirect and the app’s code_verifier for the connection',
      security: serviceAuth,
      parameters: pathParameters(connectSessionParams),
      requestBody: jsonBody(completeBody),
      responses: {
        '200': json('the connection, now stored under the service', connectionSchema),
        '400': errorResponse,
        '401': errorResponse,
        '404': errorResponse,
      },
    },
  },
  '/connect/{token}': {
    get: {
      operationId: 'getConnectPage',
      summary:
        'The connect page: names the service, provider and scopes; never spends the link (GET/HEAD)',
      parameters: [...tokenParameter, ...queryParameters(connectPageQuery)],
      responses: {
        '200': htmlPage(
          'the page with Continue and Cancel, a provider picker or a credential form',
        ),
        '404': htmlPage('unknown link'),
        '410': htmlPage('link used or expired'),
      },
    },
    post: {
      operationId: 'submitConnectPage',
      summary:
        'Continue, Cancel or the credential form: spends the link and binds it to this browser',
      parameters: tokenParameter,
      requestBody: jsonBody(connectForm, 'application/x-www-form-urlencoded'),
      responses: {
        '303': { description: 'to the provider’s authorization endpoint, or back to return_to' },
        '400': htmlPage('bad CSRF token or credentials; the link is not spent'),
        '404': htmlPage('unknown link'),
        '410': htmlPage('link used or expired'),
      },
    },
  },
  '/connect.js': {
    get: {
      operationId: 'getConnectScript',
      summary: 'Script for apps’ pages: opens the connect link in a popup and reports the outcome',
      responses: { '200': javascript('cacheable, cross-origin loadable') },
    },
  },
  '/connect/popup.js': {
    get: {
      operationId: 'getConnectPopupScript',
      summary: 'Script of the popup’s last page: messages the outcome to window.opener',
      responses: { '200': javascript('cacheable') },
    },
  },
  '/oauth/callback': {
    get: {
      operationId: 'handleOAuthCallback',
      summary: 'The redirect URI of every provider',
      responses: callbackAnswers,
    },
  },
  '/oauth/callback/{key}': {
    get: {
      operationId: 'handleProviderOAuthCallback',
      summary:
        'The redirect URI of a provider with distinct_redirect_uri (its answers arrive only here)',
      parameters: pathParameters(callbackParams),
      responses: callbackAnswers,
    },
  },
};
