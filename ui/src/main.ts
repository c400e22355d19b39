import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { errorBanner } from '$lib/stores/errorBanner.svelte';
import { theme } from '$lib/stores/theme.svelte';
import { guardStrayDrops } from '$lib/strayDrops';

// Apply the theme before the first paint of the app.
theme.init();

// Anything no screen handled ends up in the global banner rather than the console only.
window.addEventListener('unhandledrejection', (event) => {
  errorBanner.show('Unexpected error', event.reason);
});

// Nothing dropped outside a drop zone is ever opened by the webview.
guardStrayDrops(window);

const target = document.getElementById('app');
if (!target) throw new Error('missing #app element in index.html');

export default mount(App, { target });
