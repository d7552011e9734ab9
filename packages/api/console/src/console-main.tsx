/** The console's entry: replaces the page's loading text with the app. */
import { render } from 'preact';
import { ConsoleApp } from './console-app';

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<ConsoleApp />, root);
}
