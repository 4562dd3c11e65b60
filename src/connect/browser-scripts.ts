/**
 * The two scripts the broker serves for popup mode. Both are plain ES2017, no build step,
 * served from the broker's origin (the pages' CSP allows `script-src 'self'` only there).
 */

/**
 * `GET /connect.js`, for apps: `TokenBroker.connect(connectUrl) → Promise<result>` opens the
 * connect page in a popup (`display=popup`) and settles with what the popup posts back —
 * `{status: "success", connection_id}` or, with the app handshake, `{status: "success",
 * connect_session_id, code}` — or rejects with `{status: "error", error}` (`access_denied`,
 * `popup_blocked`, `popup_closed`, the flow's own error code). Only messages from the
 * broker's origin and from that popup are believed.
 */
export const CONNECT_JS = `/* Token Broker connect helper: TokenBroker.connect(connectUrl) -> Promise */
(function (global) {
  'use strict';
  function connect(connectUrl, options) {
    options = options || {};
    return new Promise(function (resolve, reject) {
      var url = new URL(connectUrl, global.location.href);
      url.searchParams.set('display', 'popup');
      var width = options.width || 480;
      var height = options.height || 680;
      var left = Math.max(0, (global.screenX || 0) + ((global.outerWidth || width) - width) / 2);
      var top = Math.max(0, (global.screenY || 0) + ((global.outerHeight || height) - height) / 2);
      var popup = global.open(url.href, 'token-broker-connect',
        'popup=yes,width=' + width + ',height=' + height + ',left=' + left + ',top=' + top);
      if (!popup) { reject({ status: 'error', error: 'popup_blocked' }); return; }
      var done = false;
      function finish(fn, value) {
        if (done) return;
        done = true;
        global.removeEventListener('message', onMessage);
        clearInterval(timer);
        fn(value);
      }
      function onMessage(event) {
        if (event.origin !== url.origin || event.source !== popup) return;
        var data = event.data;
        if (!data || data.type !== 'token-broker:connect') return;
        var result = data.result || {};
        finish(result.status === 'success' ? resolve : reject, result);
      }
      global.addEventListener('message', onMessage);
      // A closed popup that never answered: the user gave up.
      var timer = setInterval(function () {
        if (popup.closed) finish(reject, { status: 'error', error: 'popup_closed' });
      }, 500);
    });
  }
  global.TokenBroker = { connect: connect };
})(window);
`;

/**
 * `GET /connect/popup.js`, loaded by the page that ends a popup flow: posts the outcome
 * (from the page's `data-result`) to `window.opener`, only to the `return_to` origin
 * (`data-target-origin`), then closes the window. Without an opener the page stays, with
 * its link back to the app.
 */
export const POPUP_JS = `(function () {
  'use strict';
  var el = document.getElementById('popup-result');
  if (!el || !window.opener) return;
  var result = JSON.parse(el.getAttribute('data-result'));
  window.opener.postMessage({ type: 'token-broker:connect', result: result }, el.getAttribute('data-target-origin'));
  window.close();
})();
`;
