/**
 * `GET /assets/console.js`: the copy buttons of the console's secret and link boxes. Plain
 * ES2017, no build step; without it the boxes are read-only inputs to copy by hand.
 */
export const CONSOLE_JS = `/* Token Broker console: copy buttons */
(function () {
  'use strict';
  var boxes = document.querySelectorAll('input[data-select-on-focus]');
  boxes.forEach(function (input) {
    input.addEventListener('focus', function () { input.select(); });
  });
  var first = document.querySelector('input[data-focus]');
  if (first) { first.focus(); first.select(); }
  if (!navigator.clipboard) return;
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    var input = document.getElementById(button.getAttribute('data-copy'));
    var status = document.getElementById(button.getAttribute('data-copy') + '-status');
    if (!input) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(input.value).then(function () {
        button.textContent = 'Copied';
        if (status) status.textContent = 'Copied to the clipboard.';
      }, function () {
        input.focus();
        input.select();
        if (status) status.textContent = 'Copying was refused: press Ctrl+C (⌘C) to copy the selected text.';
      });
    });
  });
})();
`;
